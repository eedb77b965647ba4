"""factory_boy factories for every model, in one place. Every user's password is "pw"."""

from __future__ import annotations

import factory
from django.utils import timezone
from django.utils.text import slugify
from factory.django import DjangoModelFactory, Password

from incidents.models import (
    Category,
    Incident,
    IncidentEvent,
    Post,
    PostMatch,
    Response,
    RoutingRule,
    Severity,
)
from incidents.services.complaint_days import complaint_days_add, complaint_key
from suppliers.models import Membership, Organization, Supplier, SupplierAlias, User, VendorCode

PASSWORD = "pw"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    password = Password(PASSWORD)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")


class OperatorFactory(UserFactory):
    """A site operator: superuser with no party."""

    email = factory.Sequence(lambda n: f"operator{n}@supplierwatch.test")
    is_staff = True
    is_superuser = True


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Buyer Org {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class SupplierFactory(DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Supplier {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    website = factory.LazyAttribute(lambda o: f"https://{o.slug}.example")


class SupplierAliasFactory(DjangoModelFactory):
    class Meta:
        model = SupplierAlias

    supplier = factory.SubFactory(SupplierFactory)
    kind = SupplierAlias.Kind.ALIAS
    text = factory.Sequence(lambda n: f"alias{n}")


class VendorCodeFactory(DjangoModelFactory):
    class Meta:
        model = VendorCode

    organization = factory.SubFactory(OrganizationFactory)
    supplier = factory.SubFactory(SupplierFactory)
    code = factory.Sequence(lambda n: f"V{n:05d}")


class BuyerMembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    supplier = None
    role = Membership.Role.MEMBER


class SupplierMembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = None
    supplier = factory.SubFactory(SupplierFactory)
    role = Membership.Role.RESPONDER


MembershipFactory = BuyerMembershipFactory


class CategoryFactory(DjangoModelFactory):
    """Gets a category by slug, creating it when missing (migration 0003 seeds twelve, e.g. "defect";
    a transactional test flushes them, so factories never rely on the seed being there)."""

    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    keywords = factory.LazyFunction(list)


def defect_category() -> Category:
    return CategoryFactory(slug="defect", name="Defect / nonconformance")


def _buyer_author(post: object) -> User:
    return BuyerMembershipFactory(organization=post.organization).user


class BuyerPostFactory(DjangoModelFactory):
    """A buyer's report: source "buyer", an organization and a supplier, never visibility "public"."""

    class Meta:
        model = Post

    source = Post.BUYER_SOURCE
    external_id = factory.Sequence(lambda n: f"report-{n}")
    text = factory.Sequence(
        lambda n: f"Lot L{n} arrived with cracked housings, 40 units out of spec"
    )
    visibility = Post.Visibility.ANONYMOUS
    published_at = factory.LazyFunction(timezone.now)
    organization = factory.SubFactory(OrganizationFactory)
    author = factory.LazyAttribute(_buyer_author)
    supplier = factory.SubFactory(SupplierFactory)
    po_number = factory.Sequence(lambda n: f"PO-{4500000 + n}")
    sku = "HX-200"
    lot = factory.Sequence(lambda n: f"L{n}")
    category = factory.LazyFunction(defect_category)
    severity = Severity.MEDIUM


class PublicPostFactory(DjangoModelFactory):
    """A public post from a feed: visibility "public", no organization, matched to suppliers."""

    class Meta:
        model = Post

    source = "twitter"
    external_id = factory.Sequence(lambda n: f"tweet-{n}")
    text = factory.Sequence(lambda n: f"Third broken pallet this month, what is going on? #{n}")
    visibility = Post.Visibility.PUBLIC
    published_at = factory.LazyFunction(timezone.now)
    organization = None
    author = None
    supplier = None
    author_handle = factory.Sequence(lambda n: f"@someone{n}")
    url = factory.LazyAttribute(lambda o: f"https://twitter.example/status/{o.external_id}")


class PostMatchFactory(DjangoModelFactory):
    class Meta:
        model = PostMatch

    post = factory.SubFactory(PublicPostFactory)
    supplier = factory.SubFactory(SupplierFactory)
    matched_text = factory.LazyAttribute(lambda o: o.supplier.name)
    confidence = 1.0
    is_primary = True
    incident = None
    # Copies of its post's (PostMatch.POST_COPIES), as processing stores them.
    post_published_at = factory.LazyAttribute(lambda o: o.post.published_at)
    post_visibility = factory.LazyAttribute(lambda o: o.post.visibility)
    post_organization_id = factory.LazyAttribute(lambda o: o.post.organization_id)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        match = super()._create(model_class, *args, **kwargs)
        if match.is_primary and match.incident_id is not None:
            # A grouped complaint counts by day, as the pipeline counts it when it groups one.
            post = match.post
            key = complaint_key(
                published_at=post.published_at,
                supplier_id=match.supplier_id,
                category_id=post.predicted_category_id,
                visibility=post.visibility,
                organization_id=post.organization_id,
            )
            complaint_days_add({key: 1})
        return match


class IncidentFactory(DjangoModelFactory):
    class Meta:
        model = Incident

    supplier = factory.SubFactory(SupplierFactory)
    category = factory.LazyFunction(defect_category)
    # Unique among the open incidents of a supplier (incident_one_open_per_fingerprint).
    fingerprint = factory.Sequence(lambda n: f"fp-{n}")
    title = factory.Sequence(lambda n: f"Cracked housings, lot L{n}")
    status = Incident.Status.NEW
    severity = Severity.MEDIUM
    first_seen_at = factory.LazyFunction(timezone.now)
    last_seen_at = factory.LazyFunction(timezone.now)


def _supplier_author(response: object) -> User:
    return SupplierMembershipFactory(supplier=response.incident.supplier).user


class ResponseFactory(DjangoModelFactory):
    """A public answer; `ResponseFactory(private=True, organization=...)` answers one organization."""

    class Meta:
        model = Response

    class Params:
        private = factory.Trait(
            visibility=Response.Visibility.ORGANIZATION,
            organization=factory.SubFactory(OrganizationFactory),
        )

    incident = factory.SubFactory(IncidentFactory)
    author = factory.LazyAttribute(_supplier_author)
    body = factory.Sequence(lambda n: f"We have quarantined the affected lot ({n}).")
    visibility = Response.Visibility.PUBLIC
    organization = None


class IncidentEventFactory(DjangoModelFactory):
    class Meta:
        model = IncidentEvent

    incident = factory.SubFactory(IncidentFactory)
    kind = IncidentEvent.Kind.CREATED
    actor = None
    data = factory.LazyFunction(dict)


class RoutingRuleFactory(DjangoModelFactory):
    """A rule without conditions; `assignees=[...]` names its colleagues (services check them:
    this writes rows as they are given)."""

    class Meta:
        model = RoutingRule
        skip_postgeneration_save = True

    supplier = factory.SubFactory(SupplierFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    position = factory.Sequence(lambda n: n)

    @factory.post_generation
    def assignees(self, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.assignees.set(extracted)
