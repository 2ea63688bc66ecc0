"""What orders tells the apps above it, sent inside the transaction of the change (docs/architecture.md).

orders imports none of those apps: an app above connects its receiver in its ``AppConfig.ready``, and a
receiver that queues work does it with ``selfcare.jobs.enqueue``, in the same transaction, so a change
rolled back leaves nothing queued.
"""

from __future__ import annotations

from django.dispatch import Signal

# A line's SIP password was reissued: phones registered with the old one are to be dropped.
# Sent with ``number`` (the line's 050 number).
sip_password_replaced = Signal()

# A paper cancellation takes effect today: the numbers' phones are to be dropped at once.
# Sent with ``numbers`` (list of 050 numbers) and ``actor`` (the audit actor as JSON).
numbers_stopped_today = Signal()
