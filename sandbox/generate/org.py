"""The organisation part of the generator: teams, people, repos, Jira projects, personas."""

from __future__ import annotations

import collections
import datetime as dt
import random
from dataclasses import dataclass, field

from sandbox.world import JiraProject, Person, Repo, Team

PERSONAS = (
    "mentor",
    "sev_owner",
    "cross_team_driver",
    "playbook_keeper",
    "toil_reducer",
    "ml_experimenter",
    "project_lead",
    "quality_reviewer",
    "rubber_stamper",
    "newcomer",
)
PERSONA_LEVELS = {
    "mentor": ("IC4", "IC5"),
    "sev_owner": ("IC4", "IC5", "IC3"),
    "cross_team_driver": ("IC4", "IC3", "IC5"),
    "playbook_keeper": ("IC3", "IC4"),
    "toil_reducer": ("IC3", "IC2", "IC4"),
    "ml_experimenter": ("IC3", "IC2", "IC4"),
    "project_lead": ("IC5", "IC4"),
    "quality_reviewer": ("IC4", "IC5", "IC3"),
    "rubber_stamper": ("IC3", "IC2"),
}
IC_LEVELS = ("IC1", "IC2", "IC3", "IC4", "IC5", "IC6")
IC_WEIGHTS = (0.08, 0.26, 0.30, 0.22, 0.10, 0.04)
BOTS = ("dependabot[bot]", "renovate[bot]")

_TEAMS = (
    ("ml-platform", "ML Platform", "ML", ("trainer", "ml-pipelines", "model-registry")),
    ("ranking", "Ranking", "RANK", ("ranker", "ranking-features", "ltr-experiments")),
    ("data-infra", "Data Infrastructure", "DINF", ("ingest", "warehouse-jobs", "event-schemas")),
    ("search", "Search", "SRCH", ("search-api", "query-understanding")),
    ("recsys", "Recommendations", "REC", ("recommender", "candidate-gen", "reco-eval")),
    ("feature-store", "Feature Store", "FS", ("feature-store", "feature-sdk")),
    ("inference", "Model Serving", "INF", ("model-server", "batch-scoring", "gpu-autoscaler")),
    ("experimentation", "Experimentation", "EXP", ("ab-platform", "metrics-engine")),
    ("mlops", "MLOps", "MLO", ("ml-ci", "infra-terraform", "observability")),
    ("data-quality", "Data Quality", "DQ", ("dq-checks", "lineage")),
    ("nlp", "Language Models", "NLP", ("tokenizers", "llm-gateway", "fine-tuning")),
    ("vision", "Computer Vision", "CV", ("image-embeddings", "vision-training")),
)
_MODULES = (
    "loop",
    "data",
    "metrics",
    "checkpoint",
    "config",
    "schedulers",
    "losses",
    "callbacks",
    "export",
    "io",
    "features",
    "sampler",
    "tokenizer",
    "evaluation",
    "serving",
    "cache",
    "client",
    "registry",
    "pipeline",
    "utils",
    "validation",
    "schema",
    "monitoring",
    "batching",
    "retry",
    "storage",
    "auth",
    "jobs",
    "api",
)
_ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Europe/London",
    "America/Sao_Paulo",
    "Europe/Warsaw",
    "Asia/Tokyo",
    "Africa/Lagos",
    "Australia/Sydney",
)
# (display name, ascii form used for logins and e-mail)
_FIRST = (
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Łukasz", "lukasz"),
    ("Søren", "soren"),
    ("Ngozi", "ngozi"),
    ("Ananya", "ananya"),
    ("Mei", "mei"),
    ("Chidi", "chidi"),
    ("İlkay", "ilkay"),
    ("Hélène", "helene"),
    ("Ha-eun", "haeun"),
    ("Aroha", "aroha"),
    ("Björn", "bjorn"),
    ("Fatima", "fatima"),
    ("Mateus", "mateus"),
    ("Priya", "priya"),
    ("Kwame", "kwame"),
    ("Yuki", "yuki"),
    ("Olga", "olga"),
    ("Tomás", "tomas"),
    ("Amara", "amara"),
    ("Liam", "liam"),
    ("Nadia", "nadia"),
    ("Rafael", "rafael"),
    ("Sanjay", "sanjay"),
    ("Ingrid", "ingrid"),
    ("Wei", "wei"),
    ("Dmitri", "dmitri"),
    ("Leilani", "leilani"),
    ("Omar", "omar"),
    ("Camille", "camille"),
    ("Anh", "anh"),
    ("Jonas", "jonas"),
    ("Thandiwe", "thandiwe"),
    ("Marta", "marta"),
    ("Ravi", "ravi"),
    ("Aleksandra", "aleksandra"),
    ("Kofi", "kofi"),
    ("Sofía", "sofia"),
    ("Emeka", "emeka"),
)
_LAST = (
    ("Müller", "mueller"),
    ("Núñez", "nunez"),
    ("Wójcik", "wojcik"),
    ("Østergaard", "ostergaard"),
    ("Okonkwo", "okonkwo"),
    ("Iyer", "iyer"),
    ("Zhang", "zhang"),
    ("Yıldız", "yildiz"),
    ("Lefèvre", "lefevre"),
    ("Kim", "kim"),
    ("Ngata", "ngata"),
    ("Sjöberg", "sjoberg"),
    ("Haddad", "haddad"),
    ("Costa", "costa"),
    ("Raman", "raman"),
    ("Mensah", "mensah"),
    ("Tanaka", "tanaka"),
    ("Смирнова", "smirnova"),
    ("García", "garcia"),
    ("Nguyễn", "nguyen"),
    ("O'Brien", "obrien"),
    ("Kowalczyk", "kowalczyk"),
    ("Dubois", "dubois"),
    ("Chen", "chen"),
    ("Adeyemi", "adeyemi"),
    ("Svensson", "svensson"),
    ("Petrov", "petrov"),
    ("Kahale", "kahale"),
    ("Farouk", "farouk"),
    ("Đặng", "dang"),
    ("Schmidt", "schmidt"),
    ("Banerjee", "banerjee"),
    ("Moreau", "moreau"),
    ("Sato", "sato"),
    ("Boateng", "boateng"),
)


@dataclass
class Company:
    """Everything the activity generators share; ``rng`` is the one source of randomness."""

    rng: random.Random
    org: str
    start: dt.datetime
    end: dt.datetime
    teams: list[Team] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    repos: list[Repo] = field(default_factory=list)
    projects: list[JiraProject] = field(default_factory=list)
    modules: dict[str, tuple[str, ...]] = field(default_factory=dict)  # repo full name -> python modules
    left_at: dict[str, dt.datetime] = field(default_factory=dict)  # deleted people's last day
    renamed_at: dict[str, dt.datetime] = field(default_factory=dict)  # login -> when the former login was renamed
    _ever: dict[str, list[Person]] | None = None  # team -> people in it at some time of the period (cache)
    _settled: dict[str, bool] = field(default_factory=dict)  # team -> nobody moved in or out (cache)
    _owners: dict[str, str] | None = None  # repo full name -> owner team (cache)
    _team_repos: dict[tuple, list[Repo]] = field(default_factory=dict)  # (team, active, n repos) -> repos (cache)

    def by_login(self) -> dict[str, Person]:
        return {p.login: p for p in self.people}

    def humans(self) -> list[Person]:
        return [p for p in self.people if not p.is_bot]

    def members(self, team: str) -> list[Person]:
        return [p for p in self.people if p.team == team and not p.is_bot]

    def active_from(self, person: Person) -> dt.datetime:
        first = dt.datetime.combine(person.start_date, dt.time(), tzinfo=dt.timezone.utc)
        return max(self.start, first)

    def active_until(self, person: Person) -> dt.datetime:
        return self.left_at.get(person.login, self.end)

    def team_on(self, person: Person, when: dt.datetime) -> str:
        """The team ``person`` was in at ``when`` (dated changes take effect at 00:00 UTC of their day)."""
        team = person.team
        for change in reversed(person.team_changes):
            if when >= _midnight(change.on):
                break
            team = change.from_team
        return team

    def level_on(self, person: Person, when: dt.datetime) -> str:
        """The level ``person`` held at ``when``."""
        level = person.level
        for change in reversed(person.level_changes):
            if when >= _midnight(change.on):
                break
            level = change.from_level
        return level

    def members_ever(self, team: str) -> list[Person]:
        """Humans who were in ``team`` at some time, in people order (cached: call once the org is built)."""
        if self._ever is None:
            ever: dict[str, list[Person]] = collections.defaultdict(list)
            for p in self.humans():
                for t in dict.fromkeys([p.team] + [ch.from_team for ch in p.team_changes]):
                    ever[t].append(p)
            self._ever = dict(ever)
            self._settled = {t: not any(p.team_changes for p in ps) for t, ps in ever.items()}
        return self._ever.get(team, [])

    def members_on(self, team: str, when: dt.datetime) -> list[Person]:
        """Humans in ``team`` at ``when`` (whether or not they are active then)."""
        ever = self.members_ever(team)
        if self._settled.get(team, True):
            return ever
        return [p for p in ever if not p.team_changes or self.team_on(p, when) == team]

    def repo_owner(self, full_name: str) -> str:
        """The team owning repo ``org/name`` (cached: call once the org is built)."""
        if self._owners is None:
            self._owners = {r.full_name: r.owner_team for r in self.repos}
        return self._owners[full_name]

    def stint(self, person: Person, team: str) -> tuple[dt.datetime, dt.datetime]:
        """When ``person`` was active in ``team`` during the period; their whole active time if never in it."""
        begin, until = self.active_from(person), self.active_until(person)
        if not person.team_changes:
            return begin, until
        bounds = [begin] + [max(begin, _midnight(ch.on)) for ch in person.team_changes] + [until]
        teams = [person.team_changes[0].from_team] + [ch.to_team for ch in person.team_changes]
        for i, t in enumerate(teams):
            if t == team and bounds[i] < bounds[i + 1]:
                return bounds[i], min(until, bounds[i + 1])
        return (begin, until) if team not in teams else (begin, begin)

    def with_persona(self, persona: str) -> list[Person]:
        return [p for p in self.people if persona in p.personas]

    def team_repos(self, team: str | None, *, active: bool = True) -> list[Repo]:
        """Repos of ``team`` (``None``: of every team), unarchived ones unless ``active=False``."""
        key = (team, active, len(self.repos))
        if key not in self._team_repos:
            self._team_repos[key] = [
                r for r in self.repos if (team is None or r.owner_team == team) and not (active and r.archived)
            ]
        return self._team_repos[key]

    def project_of(self, team: str) -> JiraProject:
        return next(p for p in self.projects if p.owner_team == team)

    def delivery_teams(self) -> list[Team]:
        return [t for t in self.teams if t.parent is not None]


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)


def build_org(c: Company, engineers: int) -> None:
    """Fill ``c`` with teams, people (managers, ICs, a director, a deleted user, bots), repos and projects."""
    rng = c.rng
    n_teams = max(1, round((engineers - 1) / 6.5))
    c.teams.append(Team(id="engineering", name="Engineering", parent=None))
    for i in range(n_teams):
        tid, name, _, _ = _TEAMS[i % len(_TEAMS)]
        suffix = f"-{i // len(_TEAMS) + 1}" if i >= len(_TEAMS) else ""
        c.teams.append(Team(id=tid + suffix, name=name + (f" {suffix[1:]}" if suffix else ""), parent="engineering"))
    used: set[str] = set()
    director = _person(c, used, "M2", "engineering", None, rng.choice(_ZONES), years=(6, 12))
    c.people.append(director)
    sizes = [(engineers - 1) // n_teams + (1 if i < (engineers - 1) % n_teams else 0) for i in range(n_teams)]
    for i, team in enumerate(c.delivery_teams()):
        zone = _ZONES[i % len(_ZONES)]
        manager = _person(c, used, "M1", team.id, director.login, zone, years=(2, 9))
        c.people.append(manager)
        for _ in range(max(0, sizes[i] - 1)):
            level = rng.choices(IC_LEVELS, IC_WEIGHTS)[0]
            home = zone if rng.random() < 0.8 else rng.choice(_ZONES)
            c.people.append(_person(c, used, level, team.id, manager.login, home, years=(0.3, 8)))
        _build_team_assets(c, i, team)
    _plant_personas(c, engineers)
    for bot in BOTS:
        c.people.append(
            Person(
                login=bot,
                name=bot.removesuffix("[bot]"),
                emails=[],
                jira_account_id=f"bot-{bot[:-5]}",
                level="IC1",
                team="engineering",
                start_date=(c.start - dt.timedelta(days=1500)).date(),
                is_bot=True,
                token="",
            )
        )
    if not any(r.archived for r in c.repos):  # small worlds still get one archived repo
        team = c.delivery_teams()[-1]
        c.repos.append(
            Repo(
                org=c.org,
                name=f"legacy-{team.id}-scripts",
                owner_team=team.id,
                archived=True,
                created_at=c.start - dt.timedelta(days=2000),
            )
        )
        c.modules[c.repos[-1].full_name] = ("jobs", "utils")


def _person(
    c: Company, used: set[str], level: str, team: str, manager: str | None, zone: str, years: tuple[float, float]
) -> Person:
    rng = c.rng
    for attempt in range(50):
        (first, first_a), (last, last_a) = rng.choice(_FIRST), rng.choice(_LAST)
        form = rng.randrange(4)
        login = (f"{first_a}{last_a[0]}", f"{first_a[0]}{last_a}", f"{first_a}-{last_a}", f"{first_a}{last_a}")[form]
        if attempt > 20:
            login += str(rng.randrange(2, 99))
        if login not in used:
            break
    used.add(login)
    start = c.start - dt.timedelta(days=round(365 * rng.uniform(*years)))
    emails = [f"{first_a}.{last_a}@{c.org}.test"]  # the rest: generate_people.plant_identities
    return Person(
        login=login,
        name=f"{first} {last}",
        emails=emails,
        jira_account_id=f"{rng.getrandbits(96):024x}",
        level=level,
        team=team,
        manager=manager,
        start_date=start.date(),
        timezone=zone,
        token=f"sbx-{login}",
    )


def _build_team_assets(c: Company, index: int, team: Team) -> None:
    rng = c.rng
    _, _, key, base_names = _TEAMS[index % len(_TEAMS)]
    suffix = team.id[len(_TEAMS[index % len(_TEAMS)][0]) :]
    manager = next(p for p in c.people if p.team == team.id and p.level == "M1")
    names = [n + suffix for n in base_names]
    if index % 4 == 3:
        names.append(f"legacy-{team.id}-scripts")
    for name in names:
        created = c.start - dt.timedelta(days=rng.randrange(120, 2500), seconds=rng.randrange(86400))
        codeowners = f"* @{c.org}/{team.id}\n/docs/ @{c.org}/{team.id} @{manager.login}\n"
        repo = Repo(
            org=c.org,
            name=name,
            owner_team=team.id,
            archived=name.startswith("legacy-"),
            created_at=created,
            codeowners=codeowners if rng.random() < 0.8 else None,
        )
        c.repos.append(repo)
        c.modules[repo.full_name] = tuple(rng.sample(_MODULES, rng.randrange(6, 11)))
    project_key = key + (suffix.replace("-", "") if suffix else "")
    c.projects.append(
        JiraProject(key=project_key, id=str(10000 + index), name=team.name, owner_team=team.id, lead=manager.login)
    )


def _plant_personas(c: Company, engineers: int) -> None:
    """Pick newcomers, the deleted user and one person per persona (more in big worlds)."""
    rng = c.rng
    ics = [p for p in c.people if p.level.startswith("IC")]
    if not ics:
        return
    span_days = (c.end - c.start).days
    per_persona = max(1, round(engineers / 40))
    for person in rng.sample(ics, min(len(ics), max(1, round(len(ics) * 0.07)))):
        person.level = rng.choice(("IC1", "IC2"))
        person.start_date = (c.start + dt.timedelta(days=rng.randrange(3, max(4, span_days * 2 // 3)))).date()
        person.personas.append("newcomer")
    veterans = [p for p in ics if "newcomer" not in p.personas]
    if len(veterans) >= 6:  # someone who left: their account is deleted but their history stays
        gone = rng.choice(veterans)
        gone.deleted = True
        gone.token = ""
        c.left_at[gone.login] = c.start + dt.timedelta(
            days=rng.randrange(max(2, span_days // 4), max(3, span_days // 2))
        )
        veterans.remove(gone)
    juniors = collections.Counter(p.team for p in ics if p.level in ("IC1", "IC2") or "newcomer" in p.personas)
    for persona, levels in PERSONA_LEVELS.items():
        for _ in range(per_persona):
            free = [p for p in veterans if not p.personas] or veterans
            if not free:
                return
            fit = [p for p in free if p.level in levels]
            if persona == "mentor" and fit:  # mentors sit where the juniors are
                most = max(juniors[p.team] for p in fit)
                fit = [p for p in fit if juniors[p.team] == most]
            chosen = rng.choice(fit) if fit else rng.choice(free)
            if chosen.level not in levels:
                chosen.level = levels[0]
            chosen.personas.append(persona)
