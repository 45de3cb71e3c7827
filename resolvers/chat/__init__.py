"""One-to-one chat: conversations, messages (send, edit, delete), read receipts and typing.

events.py is the wire format published on a conversation's topic; writes.py the operations that
change a conversation and publish after commit; reads.py what a user can see and its pages;
batches.py the batch loads behind the per-request DataLoaders.
"""
