import pytest
import stripe


@pytest.fixture(autouse=True)
def stripe_test_mode():
    stripe.api_key = "sk_test_FAKEFAKEFAKE0000000000000104"  # expect: codekeys/hardcoded-api-key  # severity: low
    yield


@pytest.fixture
def live_key_by_mistake():
    # A live key in a test is still a live key.
    stripe.api_key = "sk_live_FAKEFAKEFAKE0000000000000105"  # expect: codekeys/hardcoded-api-key  # severity: critical
