"""core has no models: it is the ground every app stands on (the clock, encryption, the cache, errors)."""
