"""Code shared by every process: settings base, Redis access, key names, errors, logging."""
