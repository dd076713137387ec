import pytest

from marketplace.ranking.generator import GeneratorConfig, generate


@pytest.fixture(scope="session")
def small_market():
    return generate(GeneratorConfig.small(seed=3))


@pytest.fixture(scope="session")
def medium_market():
    cfg = GeneratorConfig(seed=11, n_workers=1500, n_shifts=450, days=35, sessions_per_week=1.2)
    return cfg, generate(cfg)
