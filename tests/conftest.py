"""Personas shared by every test, so that each permission test reads the same.

alice   buyer, member of organization Acme (`acme`)
bob     buyer, member of organization Globex (`globex`)
carol   supplier staff (responder) of Initech Components (`initech`)
dave    supplier staff (responder) of Umbrella Packaging (`umbrella`)
operator  superuser, no party
newcomer  logged in, but not yet placed in any party
anonymous the visitor who has not logged in
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import AnonymousUser
from hypothesis import settings as hypothesis_settings

from suppliers.models import Membership, Organization, Supplier, User
from tests.factories import (
    BuyerMembershipFactory,
    OperatorFactory,
    OrganizationFactory,
    SupplierFactory,
    SupplierMembershipFactory,
    UserFactory,
)
from tests.helpers import Network, require
from tests.integrations.feedserver import FeedServer

# Property tests check properties, not speed (that is `make bench`'s): no deadline per example,
# which a busy machine would turn into failures that say nothing about the code.
hypothesis_settings.register_profile("supplierwatch", deadline=None)
hypothesis_settings.load_profile("supplierwatch")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Markers for services a fresh clone may lack: skipped locally, failed in CI."""
    if item.get_closest_marker("postgres") is not None:
        from django.db import connection

        require(
            connection.vendor == "postgresql",
            "needs PostgreSQL: set DATABASE_URL=postgres://...",
        )
    if item.get_closest_marker("worker") is not None:
        require(bool(os.environ.get("REDIS_URL")), "needs Redis and a worker: set REDIS_URL")


@pytest.fixture
def acme(db) -> Organization:
    return OrganizationFactory(name="Acme", slug="acme")


@pytest.fixture
def globex(db) -> Organization:
    return OrganizationFactory(name="Globex", slug="globex")


@pytest.fixture
def initech(db) -> Supplier:
    return SupplierFactory(name="Initech Components", slug="initech-components")


@pytest.fixture
def umbrella(db) -> Supplier:
    return SupplierFactory(name="Umbrella Packaging", slug="umbrella-packaging")


@pytest.fixture
def alice(acme) -> User:
    return BuyerMembershipFactory(
        user__email="alice@acme.test",
        user__first_name="Alice",
        organization=acme,
        role=Membership.Role.MEMBER,
    ).user


@pytest.fixture
def bob(globex) -> User:
    return BuyerMembershipFactory(
        user__email="bob@globex.test",
        user__first_name="Bob",
        user__last_name="Baker",
        organization=globex,
        role=Membership.Role.MEMBER,
    ).user


@pytest.fixture
def carol(initech) -> User:
    return SupplierMembershipFactory(
        user__email="carol@initech.test",
        user__first_name="Carol",
        # A fixed surname: pages are searched for other people's names (a random one may match).
        user__last_name="Carter",
        supplier=initech,
        role=Membership.Role.RESPONDER,
    ).user


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
def dave(umbrella) -> User:
    return SupplierMembershipFactory(
        user__email="dave@umbrella.test",
        user__first_name="Dave",
        user__last_name="Dawson",
        supplier=umbrella,
        role=Membership.Role.RESPONDER,
    ).user


@pytest.fixture
def operator(db) -> User:
    return OperatorFactory(email="operator@supplierwatch.test", first_name="Olivia")


@pytest.fixture
def op(client, operator):
    """The test client, signed in as the operator (the admin's pages)."""
    client.force_login(operator)
    return client


@pytest.fixture
def newcomer(db) -> User:
    """Has an account but no membership yet: sees nothing until placed in a party."""
    return UserFactory(email="newcomer@example.test", first_name="Nina")


@pytest.fixture
def anonymous() -> AnonymousUser:
    return AnonymousUser()


@pytest.fixture
def network(monkeypatch) -> Network:
    """Name lookups and connections of this test go through a fake name server (tests/helpers.py)."""
    fake = Network()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", fake.create_connection)
    return fake


# --- Redis away (tests/outage.py) -------------------------------------------------------------


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """The sites the feeds of a test poll, on loopback (tests/integrations/feedserver.py)."""
    with FeedServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _broker_and_cache_tried_afresh():
    """A failure to reach the broker or the cache makes a process wait before trying again
    (supplierwatch/queues.py, counters.py); no test inherits another's wait."""
    yield
    from supplierwatch.counters import counters
    from supplierwatch.queues import broker_recovered

    broker_recovered()
    counters.recovered()


@pytest.fixture
def redis_down():
    """The broker and the cache refuse every connection for the test's duration."""
    from tests.outage import redis_unreachable

    with redis_unreachable() as url:
        yield url


# --- a real Celery worker (tests/workers.py) --------------------------------------------------


@pytest.fixture
def queue():
    """Tasks go through Redis to a queue of this test's own, for the test's duration."""
    from tests.workers import broker_queue

    with broker_queue() as name:
        yield name


@pytest.fixture
def own_redis(tmp_path, monkeypatch):
    """A redis-server of this test's own as the broker of this process and of the workers it
    starts (tests/workers.py, OwnRedis); ask for it before `queue` and `start_worker`, so that it
    outlives them."""
    import shutil

    from supplierwatch.celery import app as celery_app
    from tests.workers import OwnRedis, use_broker

    require(shutil.which("redis-server") is not None, "needs redis-server on the PATH")
    server = OwnRedis(tmp_path)
    server.start()
    saved = celery_app.conf.broker_url
    monkeypatch.setenv("REDIS_URL", server.url)  # what the workers and forget_queue() use
    use_broker(server.url)
    try:
        yield server
    finally:
        server.stop()
        use_broker(saved)


@pytest.fixture
def start_worker(queue, tmp_path):
    """start_worker() starts a `celery worker` process on the test database and this queue."""
    from tests.workers import Worker

    workers = []

    def start():
        worker = Worker(queue, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        worker.wait_ready()
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()
