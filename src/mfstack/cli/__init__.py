"""Command-line interface: one module per command; each parses, calls core, renders, exits."""
