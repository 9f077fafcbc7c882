"""A flow driven by parameters, with a data artifact written through the S3 datatools root.

mfstack run -- python examples/params.py run --person Ada --times 3
"""

from metaflow import S3, FlowSpec, Parameter, step


class ParamsFlow(FlowSpec):
    """Greet `person` `times` times; keep the greetings as an artifact and as an S3 object."""

    person = Parameter("person", help="Who to greet.", default="world")
    times = Parameter("times", help="How many greetings.", default=2, type=int)

    @step
    def start(self) -> None:
        self.greetings = [f"hello {self.person} #{i + 1}" for i in range(self.times)]
        self.next(self.end)

    @step
    def end(self) -> None:
        text = "\n".join(self.greetings)
        with S3(run=self) as s3:  # an object under the datatools root, beside the run's artifacts
            self.greetings_url = s3.put("greetings.txt", text)
        print(text)


if __name__ == "__main__":
    ParamsFlow()
