"""Mail rendering: Jinja2 (sandboxed) templates per language, money and dates per locale."""

from connector.render.mail import MessageContext, Renderer, TemplateProblem

__all__ = ["MessageContext", "Renderer", "TemplateProblem"]
