"""One module per channel: translate channel payloads <-> boundary types. They decide nothing."""
