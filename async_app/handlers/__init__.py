"""Request handlers: ``base`` (what they share), ``api`` (the JSON API), ``health`` (operations endpoints)."""
