"""Foundation: the metadata store (SQLAlchemy tables, migrations, transactions) and the event log."""

from mlcycle.store.engine import Store
from mlcycle.store.events import Event, list_events, record_event

__all__ = ["Event", "Store", "list_events", "record_event"]
