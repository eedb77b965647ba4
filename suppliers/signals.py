"""What the team services announce to the apps above `suppliers`, which it never imports.

Sent inside the service's transaction, so whatever a receiver writes commits or rolls back with
the change to the team.
"""

from __future__ import annotations

from django.dispatch import Signal

# A colleague may no longer act on the supplier's incidents: removed from the team ("left") or
# made a viewer ("viewer"). Keyword arguments: supplier_id, user (the colleague), actor (who
# changed the team), reason.
colleague_stopped_acting = Signal()
