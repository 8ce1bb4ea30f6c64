from django.db import models


class ProcessedEvent(models.Model):
    event_id = models.CharField(max_length=255, unique=True)


class StripeEvent(models.Model):
    stripe_id = models.CharField(max_length=255, unique=True)
