"""caresec.store: the organization's embedded stores under ``ORG/.caresec/``."""

from caresec.store.feeds import STORE_FILE, FeedStore

__all__ = ["STORE_FILE", "FeedStore"]
