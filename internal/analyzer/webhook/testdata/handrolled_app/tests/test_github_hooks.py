# Tests that post signed deliveries: the helper signs, each test compares
# the response's status, never a MAC.
import hashlib
import hmac
import json

from django.test import TestCase

SECRET = b"testing-secret-for-github-hooks"


class GithubHookTests(TestCase):
    def _post(self, data):  # expect: clean
        body = json.dumps(data).encode()
        return self.client.post(
            "/hooks/github",
            data=body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256="sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest(),
        )

    def test_ping(self):  # expect: clean
        response = self._post({"zen": "hi"})
        assert response.status_code == 204

    def test_purchase_with_stripe_plan(self):  # expect: clean
        response = self._post({"action": "purchased", "sender": {"login": "octo"}})
        self.assertEqual(response.status_code, 200)
        assert b"Stripe" in response.content
