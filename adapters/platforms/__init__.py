"""Platform data providers: one module per provider, each turning a handle into one normalized
``PlatformProfile`` or raising a typed ``ProviderError``. Nothing here knows about the database."""
