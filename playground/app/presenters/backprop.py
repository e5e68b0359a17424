"""Learning > Backpropagation step by step…: the window of the step-through, fed with traces of the open lab.

A trace is torch work (compiling, a forward and a backward pass, a gradient check), so it runs as a job of the
Learning windows (``insight_window``): off the GUI thread, with the running session's weights and optimizer state
when one trains, otherwise the lab's starting weights (its given ones, or those of its seed).
"""

from __future__ import annotations

from typing import Any, cast

from PySide6.QtCore import Slot

from playground.graph import Lab
from playground.ui.backprop_window import BackpropWindow

from .insight_window import InsightWindowPresenter


class BackpropPresenter(InsightWindowPresenter[BackpropWindow]):
    """Opens the backpropagation window from the main window's menu and answers its requests for traces."""

    action = "backprop_action"
    job_name = "backprop-trace"

    @property
    def window(self) -> BackpropWindow | None:
        return self.shown

    def _create(self) -> BackpropWindow:
        window = BackpropWindow(self.main_window)
        window.trace_requested.connect(self.request)
        return window

    def _opened(self, shown: BackpropWindow) -> None:
        shown.request()

    def _follow_lab(self) -> None:
        assert self.shown is not None
        self.shown.request()

    @Slot(int, int)
    def request(self, first: int, batch: int) -> None:
        token = self._new_request()
        lab = self.document.lab
        if lab is None:
            self._show_error("Open a lab first")
            return
        self._run_on(token, lab, (first, batch))

    def _with_weights(self, token: int, lab: Lab, checkpoint: dict[str, Any] | None, wanted: object) -> None:
        first, batch = cast(tuple[int, int], wanted)  # what request() asked for
        if checkpoint is None:
            self._start(token, lambda: self._trace_lab(lab, first, batch))
            return
        meta = checkpoint.get("meta", {})
        epoch, step = meta.get("epoch", 0), meta.get("step", 0)

        def job() -> tuple[Any, str]:
            from playground.engine.insight.backprop import trace_checkpoint

            trace = trace_checkpoint(lab, checkpoint, batch_size=batch, first=first)
            return trace, f"Weights of the running session (epoch {epoch}, step {step})"

        self._start(token, job)

    @staticmethod
    def _trace_lab(lab: Lab, first: int, batch: int) -> tuple[Any, str]:
        from playground.engine.insight.backprop import given_weights, trace_step

        trace = trace_step(lab, batch_size=batch, first=first)
        given = lab.networks and given_weights(lab, lab.networks[0].name) is not None
        return trace, ("The lab's given starting weights" if given else
                       f"Starting weights of seed {lab.seed} (press Play, then trace again to see a trained step)")

    def _show_result(self, result: object) -> None:
        assert self.shown is not None and isinstance(result, tuple)
        trace, source = result
        self.shown.show_trace(trace, source)

    def _show_error(self, text: str) -> None:
        if self.shown is not None:
            self.shown.show_error(text)
