"""The API toolkit every app's REST API uses: authentication-independent permissions, strict
fields, cursor pagination, JSON parsing, throttling, the one error shape, schema hooks and
idempotent requests. It imports no app of the product, so every app may import it."""
