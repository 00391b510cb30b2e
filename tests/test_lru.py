"""The bounded LRU behind the service's caches: past its limit it forgets the least recently put."""

from genaifeedback.service.domain.lru import BoundedLru


def test_past_its_limit_it_forgets_the_least_recently_put():
    cache: BoundedLru[str, int] = BoundedLru(limit=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 3)  # "a" is now the most recent
    cache.put("c", 4)
    assert "b" not in cache and len(cache) == 2
    assert cache.get("a") == 3 and cache.get("c") == 4 and cache.get("b") is None
