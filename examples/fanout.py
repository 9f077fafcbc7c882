"""start -> foreach over N items -> join -> end.

mfstack run -- python examples/fanout.py run --width 20
"""

from metaflow import FlowSpec, Parameter, step


class FanoutFlow(FlowSpec):
    """Square every item in parallel branches and add the squares up in the join."""

    width = Parameter("width", help="How many parallel branches to run.", default=5, type=int)

    @step
    def start(self) -> None:
        self.items = list(range(self.width))
        self.next(self.square, foreach="items")

    @step
    def square(self) -> None:
        self.value = self.input * self.input
        self.next(self.join)

    @step
    def join(self, inputs) -> None:  # type: ignore[no-untyped-def]
        self.total = sum(branch.value for branch in inputs)
        self.next(self.end)

    @step
    def end(self) -> None:
        print(f"sum of squares below {self.width}: {self.total}")


if __name__ == "__main__":
    FanoutFlow()
