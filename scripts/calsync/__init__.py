"""calendly-gcal: Calendly webhook deliveries made into team Google Calendar events."""

__version__ = "1.0.0"
