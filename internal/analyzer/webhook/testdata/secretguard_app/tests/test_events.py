# Tests build the dependency with throwaway secrets: not deployed values.
import pytest
from fastapi import HTTPException

from billing.events import EventGetter, PrefixGetter


@pytest.mark.asyncio
async def test_empty_secret_disables_endpoint(request_without_signature):
    with pytest.raises(HTTPException):
        await EventGetter("")(request_without_signature)


@pytest.mark.asyncio
async def test_placeholder_secret(request_without_signature):
    with pytest.raises(HTTPException):
        await PrefixGetter("whsec_test")(request_without_signature)
