"""Tests call Stripe through stripe-mock, not the broker: left out by default."""
import stripe


def test_payout():
    stripe.api_base = "http://localhost:12111"
    assert stripe.Payout.create(amount=1, currency="usd")
