"""The supplier team's admin, shared by the team and invitation tests."""

from __future__ import annotations

import pytest

from suppliers.models import Membership, User
from tests.factories import SupplierMembershipFactory


@pytest.fixture
def ivy(initech) -> User:
    """Initech's admin."""
    return SupplierMembershipFactory(
        user__email="ivy@initech.test",
        user__first_name="Ivy",
        user__last_name="Ingram",
        supplier=initech,
        role=Membership.Role.ADMIN,
    ).user


@pytest.fixture
def admin_client(client, ivy):
    """The test client, signed in as ivy."""
    client.force_login(ivy)
    return client
