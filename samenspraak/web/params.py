"""Bounds for ids and numbers that come from URLs and forms.

A database integer holds at most 2**31 - 1; a larger number typed into a URL must be a clear 422, not an
overflow error deep in the database driver.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Query
from pydantic import AfterValidator, Field

from samenspraak.contributions import is_storable

MAX_ID = 2**31 - 1


def _storable(value: str) -> str:
    if not is_storable(value):
        raise ValueError("bevat tekens die we niet kunnen verwerken")
    return value


# A string from a JSON body that can be stored and forwarded.
StorableStr = Annotated[str, AfterValidator(_storable)]
# A filter from the URL: PostgreSQL refuses a NUL even in a comparison.
StorableQuery = Annotated[str, Query(), AfterValidator(_storable)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
BoundedId = Annotated[int, Field(ge=1, le=MAX_ID)]
PageNumber = Annotated[int, Query(ge=1, le=MAX_ID)]
