"""What a store can raise when its file or server fails: shown as the store message, never a
traceback. pyogrio's errors are RuntimeErrors; SQLAlchemy's (a server gone) have their own base.
The one list, for the app's door (:mod:`dashboard.store.data`) and the brief's command line."""
from __future__ import annotations

from pyogrio.errors import DataLayerError, DataSourceError
from sqlalchemy.exc import SQLAlchemyError

from loaders.errors import BuildError

STORE_ERRORS: tuple[type[BaseException], ...] = (BuildError, OSError, ValueError, DataSourceError,
                                                  DataLayerError, SQLAlchemyError)
