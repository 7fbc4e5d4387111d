"""The new-client form, made from the models the loader validates with: the client file's common
keys, the platform's section (`Platform.settings_model`) and, for a platform that cannot send
reminders itself, the SMTP relay. No platform is named here: a new platform's fields appear by
themselves. Required keys come first; the others are under "more settings".

A secret key is never asked for its value: the form asks for the name of the environment
variable that holds it and writes ``${NAME}`` (`connector.config.writer.env_reference`).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from connector.config.models import SmtpSettings
from connector.config.writer import env_reference
from connector.platforms.spec import Platform

Kind = Literal["text", "number", "choice", "check", "secret"]


@dataclass(frozen=True)
class FormField:
    """One input: `name` is the form field (``section.key``), `key` the file's key."""

    name: str
    key: str
    label: str
    kind: Kind
    required: bool
    options: tuple[str, ...] = ()
    default: str = ""
    hint: str = ""


@dataclass(frozen=True)
class FormSection:
    title: str
    key: str
    fields: list[FormField]


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type inside ``X | None`` and whether None was allowed."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _literal(annotation: Any) -> tuple[str, ...] | None:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is Literal:
        return tuple(str(a) for a in typing.get_args(annotation))
    return None


def _base(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _field(section: str, name: str, info: FieldInfo) -> FormField | None:
    key = info.alias or name
    inner, _ = _unwrap(info.annotation)
    label = key.replace("_", " ").capitalize()
    required = info.is_required()
    default = "" if info.default in (None, ...) or required else str(info.default)
    options = _literal(inner)
    base = _base(inner)
    if options is not None:
        return FormField(f"{section}.{key}", key, label, "choice", required, options, default)
    if base is SecretStr:
        return FormField(
            f"{section}.{key}",
            key,
            label,
            "secret",
            required,
            hint="the name of the environment variable that holds it, e.g. ACME_CLIENT_SECRET",
        )
    if base is bool:
        return FormField(f"{section}.{key}", key, label, "check", required, default=default)
    if base is int:
        return FormField(f"{section}.{key}", key, label, "number", required, default=default)
    if base is str:
        return FormField(f"{section}.{key}", key, label, "text", required, default=default)
    return None  # lists and mappings are edited in the file


def model_section(title: str, key: str, model: type[BaseModel]) -> FormSection:
    fields = [_field(key, name, info) for name, info in model.model_fields.items()]
    present = [f for f in fields if f is not None]
    return FormSection(title, key, sorted(present, key=lambda f: not f.required))


def sections(platform: Platform) -> list[FormSection]:
    """The platform's part of the form (its section, and the mail relay when needed)."""
    found = [model_section(platform.title, platform.name, platform.settings_model)]
    if not platform.sends_reminders:
        found.append(model_section("Mail relay (SMTP)", "mail", SmtpSettings))
    return found


class FormProblem(ValueError):
    """A field the form cannot turn into a file value; `field` is its form name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def section_data(section: FormSection, form: Mapping[str, str]) -> dict[str, Any]:
    """The section's keys from the posted form; empty optional fields are left out."""
    data: dict[str, Any] = {}
    for field in section.fields:
        raw = (form.get(field.name) or "").strip()
        if field.kind == "check":
            if field.name in form:
                data[field.key] = raw not in ("", "0", "false", "off")
            elif field.default == "True":
                data[field.key] = False  # unchecked box: the default was on
            continue
        if not raw:
            continue
        if field.kind == "secret":
            try:
                data[field.key] = env_reference(raw)
            except ValueError as exc:
                raise FormProblem(field.name, str(exc)) from None
        elif field.kind == "number":
            if not raw.isdigit():
                raise FormProblem(field.name, "expected a whole number")
            data[field.key] = int(raw)
        else:
            data[field.key] = raw
    return data


def client_data(platform: Platform, form: Mapping[str, str]) -> dict[str, Any]:
    """The client file's keys from the posted form.

    Raises:
        FormProblem: a field that cannot be a value (the loader judges the rest).
    """
    language = form.get("language", "nl")
    data: dict[str, Any] = {
        "display_name": (form.get("display_name") or "").strip(),
        "enabled": "enabled" in form,
        "platform": platform.name,
    }
    for section in sections(platform):
        data[section.key] = section_data(section, form)
    data["language"] = language if language in ("nl", "en") else "nl"
    sender = {
        "name": (form.get("sender.name") or "").strip(),
        "email": (form.get("sender.email") or "").strip(),
    }
    iban = (form.get("sender.iban") or "").strip()
    if iban:
        sender["iban"] = iban
    data["sender"] = sender
    return data
