"""Scrapy spiders of govmon: `site` (portal crawl)."""
