"""HTML → text blocks, dates, gov meta tags, links and attachments. Pure functions, no I/O."""
