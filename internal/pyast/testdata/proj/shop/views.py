from django.conf import settings

from . import helpers
from .helpers import DEFAULT as D, Service, verify


def view(request):
    body = request.body
    data = body
    verify(data, "sig", settings.STRIPE_WEBHOOK_SECRET)
    helpers.verify(request.body, "sig", D)
    svc = Service()
    return svc.run()
