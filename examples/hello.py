"""The smallest flow: start -> hello -> end. Run it through the local stack with

mfstack up && mfstack run -- python examples/hello.py run
"""

from metaflow import FlowSpec, step


class HelloFlow(FlowSpec):
    """Say hello, store it as an artifact, read it back in the next step."""

    @step
    def start(self) -> None:
        self.greeting = "hello from the local stack"
        self.next(self.hello)

    @step
    def hello(self) -> None:
        print(self.greeting)
        self.next(self.end)

    @step
    def end(self) -> None:
        print("HelloFlow is done.")


if __name__ == "__main__":
    HelloFlow()
