"""A flow with parameters: they are recorded as the `_parameters` step's artifacts."""

from metaflow import FlowSpec, Parameter, step


class ParamFlow(FlowSpec):
    alpha = Parameter("alpha", default=2, type=int)
    label = Parameter("label", default="x")

    @step
    def start(self):
        self.product = self.alpha * 21
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ParamFlow()
