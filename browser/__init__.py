"""What browsers need from the server: CORS (``cors``), security headers (``headers``) and a
GraphiQL page that works without internet access (``graphiql``). The app wires them in."""
