"""Chat: conversations and messages (types.py), `conversations` / `conversation` (queries.py),
the message and receipt mutations (mutations.py), and the live `chatEvents` subscription
(subscription.py) with the events it delivers (events.py)."""
