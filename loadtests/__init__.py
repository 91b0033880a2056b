"""Load tests: locust scenarios, the hello-world ceilings, and ``forum bench`` (the side-by-side comparison)."""
