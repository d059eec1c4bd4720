"""An example Connect extension whose purchase is a multi-step transaction."""
