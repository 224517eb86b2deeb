"""Another Python OCPI implementation, served for the baselines scenario in a virtualenv of its own."""
