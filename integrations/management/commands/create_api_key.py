"""python manage.py create_api_key --organization SLUG | --supplier SLUG [--scopes read,write]"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.services import api_key_issue
from suppliers.models import Organization, Supplier

SCOPES = {"read", "write"}


class Command(BaseCommand):
    help = "Issue an API key to a buyer organization or a supplier and print it, once."

    def add_arguments(self, parser: CommandParser) -> None:
        party = parser.add_mutually_exclusive_group(required=True)
        party.add_argument("--organization", metavar="SLUG", help="A buyer organization's slug.")
        party.add_argument("--supplier", metavar="SLUG", help="A supplier's slug.")
        parser.add_argument(
            "--scopes",
            default="read",
            help="Comma-separated: read (always granted) and write. Default: read.",
        )
        parser.add_argument("--name", default="", help="What the key is for, e.g. 'SAP connector'.")

    def handle(self, *args, **options) -> None:
        scopes = {scope.strip().lower() for scope in options["scopes"].split(",") if scope.strip()}
        unknown = scopes - SCOPES
        if unknown:
            raise CommandError(f"Unknown scope(s): {', '.join(sorted(unknown))}; use read,write.")
        organization = supplier = None
        party: Organization | Supplier
        if options["organization"]:
            organization = Organization.objects.filter(slug=options["organization"]).first()
            if organization is None:
                raise CommandError(f"No organization with slug {options['organization']!r}.")
            party = organization
        else:
            supplier = Supplier.objects.filter(slug=options["supplier"]).first()
            if supplier is None:
                raise CommandError(f"No supplier with slug {options['supplier']!r}.")
            party = supplier
        issued = api_key_issue(
            name=options["name"] or f"{party.name} integration",
            organization=organization,
            supplier=supplier,
            can_write="write" in scopes,
        )
        self.stderr.write(
            f"API key {issued.api_key.name!r} for {party.name} "
            f"({', '.join(issued.api_key.scopes)}). It is shown only now; store it safely:"
        )
        # The key alone on stdout, so scripts can capture it: KEY=$(manage.py create_api_key ...)
        self.stdout.write(issued.key)
