"""The HTTP edge of the API, wrapped around the routes by ``app.py``: request ids and the body-size
cap (``middleware``), GraphQL-shaped JSON for refused requests (``refusals``), what browsers need
— CORS (``cors``), security headers (``headers``) — a GraphiQL page that works without
internet access (``graphiql``, refreshed by ``python -m web.graphiql_vendor``), and what operators
read: the access log (``access_log``), the log format (``logs``) and ``/metrics`` (``metrics``).

One package for what sits between a client's bytes and the API, so ``app.py`` stays the one place
where it is composed and nothing below the app layer imports it."""
