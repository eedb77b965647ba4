"""Pages: common.py (home and access decorators), buyer.py (/buyer/, incidents, suppliers), portal.py."""
