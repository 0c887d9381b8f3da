"""Tools for the demo and for trying the local platform by hand: a webhook receiver that prints what it
gets, and a traffic generator for a local model endpoint. Not used by the provider itself."""
