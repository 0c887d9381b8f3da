"""The spec -> native JFrog ML automations: ``native`` is the wire form (pure), ``files`` writes it."""
