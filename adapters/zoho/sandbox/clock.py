"""The sandbox clock: Exact's `SandboxClock` is platform-neutral, so both sandboxes share it.

Sharing the class (rather than copying it) keeps one `isinstance` check in the control surfaces
(`sandbox_clock`) and one behaviour for "the clock only moves when told to".
"""

from adapters.exact.sandbox.clock import SandboxClock

__all__ = ["SandboxClock"]
