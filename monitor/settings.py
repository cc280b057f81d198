"""Scrapy settings for govmon, and every MONITOR_* default (each documented here once).

`scrapy.cfg` points Scrapy here; `govmon scan` sets SCRAPY_SETTINGS_MODULE to this module
so crawls work from any directory after `pip install`.
Per-site limits (max_pages, max_depth) are config keys: see monitor/config.py.
"""

BOT_NAME = "govmon"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Identify ourselves honestly; offices monitor their own sites under the national checklist.
USER_AGENT = "govmon/0.1 (government website compliance monitor)"
# The office checks its own sites; robots.txt often hides columns inspectors do check.
ROBOTSTXT_OBEY = False

# Security defaults: nothing listens on a port unless the user asks.
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote-control HTTP server (runs code for a token holder): never on.
REMOTE_CONTROL_ENABLED = False

# Politeness for small county servers: at most 4 requests at a time to one host (config
# `links.per_host`), AutoThrottle slowing down when a server slows down, Retry-After
# honoured (RetryAfterMiddleware), and a per-site time budget (config `time_budget_minutes`).
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.05
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
# Scrapy's AutoThrottle lowers the delay on 200 answers only; govmon's counts a 304 Not
# Modified like a 200 (monitor/throttle.py), else a nightly rescan keeps its starting delay.
# monitor.gc_tuning.GcTuning: fewer garbage-collector passes (MONITOR_GC_THRESHOLDS).
EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "monitor.throttle.AutoThrottle": 0,
    "monitor.gc_tuning.GcTuning": 0,
}
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10

# Items (pages) handled at once per response. Scrapy's default, 100, sets up 100 tasks for
# each response although a page yields one item and a few requests: measured in bench/crawl.py.
CONCURRENT_ITEMS = 8

# A page larger than this is not a page (size cap); warn from half of it.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024

# Breadth-first: home page and list pages before deep articles, so max_pages keeps the top.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Error pages are recorded, not silently dropped.
HTTPERROR_ALLOW_ALL = True

LOG_LEVEL = "INFO"
# Never log scraped items: page text may hold personal numbers.
LOG_FORMATTER = "monitor.logformatter.QuietLogFormatter"

DOWNLOADER_MIDDLEWARES = {
    # after HttpCompressionMiddleware (590) has decompressed the body
    "monitor.middlewares.CharsetMiddleware": 585,
    # sees a 429/503 before RetryMiddleware (550) would retry it at once
    "monitor.middlewares.RetryAfterMiddleware": 560,
    # link checks to a host that cannot be reached are not made link after link; sees a
    # failure only once RetryMiddleware (550) has spent its retries
    "monitor.middlewares.HostDownMiddleware": 60,
}

ITEM_PIPELINES = {
    "monitor.pipelines.CheckPipeline": 300,
    "monitor.pipelines.StorePipeline": 800,
}

# `-O findings.jsonl` writes one finding per line; every other format writes findings too,
# never the page text (which may hold personal numbers).
FEED_EXPORTERS = {
    "jsonl": "monitor.exporters.FindingsJsonLinesExporter",
    "jsonlines": "monitor.exporters.FindingsJsonLinesExporter",
    "jl": "monitor.exporters.FindingsJsonLinesExporter",
    "json": "monitor.exporters.FindingsJsonExporter",
    "csv": "monitor.exporters.FindingsCsvExporter",
    "xml": "monitor.exporters.FindingsXmlExporter",
    "pickle": "monitor.exporters.FindingsPickleExporter",
    "marshal": "monitor.exporters.FindingsMarshalExporter",
}
FEED_EXPORT_ENCODING = "utf-8"

# ---- govmon's own settings (MONITOR_*) ------------------------------------------------
#: Correct the response encoding of HTML pages (GBK pages without charset, wrong declarations).
MONITOR_CHARSET_ENABLED = True
#: Run the term and personal-data checks on every page.
MONITOR_CHECKS_ENABLED = True
#: Check page chrome (nav/header/footer text repeated on every page) once per crawl.
MONITOR_CHROME_ONCE = True
#: Write pages and findings to the store (only when the crawl has a config with a database).
MONITOR_STORE_ENABLED = True
#: Pages written to the store in one transaction, at most (each with its findings and cache entry).
MONITOR_STORE_BATCH_PAGES = 200
#: Seconds pages may wait for their transaction: at most one write this often (a page after a
#: quieter spell is written at once), so the scan's page count keeps moving.
MONITOR_STORE_BATCH_SECONDS = 1.0
#: Failed store writes in a row after which the database counts as unavailable and the crawl
#: stops (close reason store_unavailable; the scan fails). 0: never stop.
MONITOR_STORE_MAX_FAILURES = 20
#: Honour Retry-After on 429/503 answers (the host waits as long as the server asks).
MONITOR_RETRY_AFTER_ENABLED = True
#: Longest Retry-After honoured, in seconds; a longer one is recorded as the answer it is.
MONITOR_RETRY_AFTER_MAX = 120
#: Most Retry-After waits for one request.
MONITOR_RETRY_AFTER_TIMES = 3
#: Link checks to a host that failed to connect (connection refused, no such domain), every
#: retry spent, after which the host counts as down for this crawl — if it has answered nothing
#: — and its other links fail at once with the same error (monitor/middlewares.py). 0: try all.
MONITOR_HOST_DOWN_AFTER = 2
#: The garbage collector's thresholds during a crawl (gc.set_threshold); the heap built at start
#: is frozen when the spider opens (monitor/gc_tuning.py). With Python's defaults (700, 10, 10)
#: a rescan of 20,000 pages spent 3 s of its 12 in the collector; 50,000 for the first number
#: let garbage holding page bodies wait longer: +340 MB at the peak of a first scan. Empty:
#: leave the collector alone.
MONITOR_GC_THRESHOLDS = [5000, 10, 10]
