from .paypal import PaypalProvider
from .stripe_legacy import LegacyStripeProvider
from .stripe_provider import StripeProvider

PROVIDERS = {"stripe": StripeProvider, "paypal": PaypalProvider}
LEGACY_PROVIDERS = {"stripe": LegacyStripeProvider, "paypal": PaypalProvider}
