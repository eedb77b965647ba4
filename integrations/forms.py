from django import forms

from supplierwatch.forms import Form

from .models import Feed


class ApiKeyForm(Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the key is for, e.g. “SAP connector”.",
    )
    can_write = forms.BooleanField(
        label="Write scope",
        required=False,
        help_text="Without it the key only reads.",
    )


class FeedForm(Form):
    """Shapes the portal's input; what a feed may be is decided by the service (feed_clean)."""

    kind = forms.ChoiceField(label="Kind", choices=Feed.Kind.choices)
    target = forms.CharField(
        label="Address or search",
        required=False,
        max_length=500,
        help_text="RSS or Atom: the feed's address. Mastodon: https://INSTANCE/tags/TAG or "
        "https://INSTANCE/search?q=WORDS. Bluesky: the words to search. Inbound webhook: leave empty.",
    )
    name = forms.CharField(
        label="Name",
        required=False,
        max_length=50,
        help_text="Unique among your feeds. Lower-case letters, digits, '.', '_' and '-'; made "
        "from the address when empty.",
    )
    interval_seconds = forms.IntegerField(
        label="Poll every (seconds)", required=False, min_value=1, initial=900
    )
