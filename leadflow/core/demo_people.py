"""Who the demo leads are: names, companies, addresses and phone numbers in four locales.

English, Welsh (with the patronymics “ap Rhys”, “ab Owain”, “ferch Hywel”),
Turkish (İ, ı, ş, ğ, ç) and Spanish (ñ, accents, two surnames) people, working
for companies with the legal suffixes of their country (Ltd, Cyf., A.Ş.,
S.L.). Addresses use the reserved ``.example`` domain; phone numbers are valid
E.164 numbers checked with ``phonenumbers``.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass

import phonenumbers

from leadflow.identity.normalise import fold, normalise_company_name


def _items(text: str) -> tuple[str, ...]:
    """Data lists written as “a | b | c”, so the tables below stay readable."""
    return tuple(item.strip() for item in text.split("|") if item.strip())


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """“male title / female title | …”; a single title serves both."""
    pairs = []
    for item in _items(text):
        male, _sep, female = item.partition("/")
        pairs.append((male.strip(), (female or male).strip()))
    return tuple(pairs)


def _sectors(text: str) -> tuple[tuple[str, str], ...]:
    """“word in a company name = industry | …”."""
    return tuple(
        (word.strip(), industry.strip())
        for word, _sep, industry in (item.partition("=") for item in _items(text))
    )


def _places(text: str) -> tuple[tuple[str, str, str], ...]:
    """“city; region; postcode template | …” (“#” a digit, “@” a letter)."""
    places = []
    for item in _items(text):
        city, region, postcode = (part.strip() for part in item.split(";"))
        places.append((city, region, postcode))
    return tuple(places)


@dataclass(frozen=True)
class Locale:
    """Where a lead lives and how people and companies there are named."""

    code: str
    country: str
    language: str
    weight: int
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    places: tuple[tuple[str, str, str], ...]
    streets: tuple[str, ...]
    job_titles: tuple[tuple[str, str], ...]
    sectors: tuple[tuple[str, str], ...]
    company_roots: tuple[str, ...]
    company_patterns: tuple[str, ...]
    personal_domains: tuple[str, ...]


ENGLISH = Locale(
    code="en",
    country="GB",
    language="en",
    weight=35,
    male=_items(
        "Oliver | Harry | George | Jack | Thomas | James | William | Charlie | Alfie | Edward | Samuel | Daniel"
    ),
    female=_items(
        "Amelia | Isla | Olivia | Emily | Charlotte | Sophie | Grace | Lucy | Hannah | Eleanor | Poppy | Ruby"
    ),
    surnames=_items(
        "Smith | Taylor | Brown | Wilson | Clarke | Walker | Wright | Hall | Green | Baker | Harrison"
        " | O'Neill | Thompson | Robinson | Ashworth | Blackwood | Fairbairn | Hargreaves"
    ),
    places=_places(
        "London; Greater London; EC1A #@@ | London; Greater London; SE1 #@@"
        " | Manchester; Greater Manchester; M1 #@@ | Leeds; West Yorkshire; LS1 #@@"
        " | Bristol; Bristol; BS1 #@@ | Birmingham; West Midlands; B1 #@@"
        " | York; North Yorkshire; YO1 #@@ | Newcastle upon Tyne; Tyne and Wear; NE1 #@@"
    ),
    streets=_items(
        "{n} High Street | {n} Station Road | {n} Church Lane | {n} Victoria Road | {n} Mill Lane"
        " | Unit {n}, Riverside Business Park"
    ),
    job_titles=_pairs(
        "Operations Manager | Head of Procurement | Managing Director | Finance Director"
        " | IT Manager | Office Manager | Founder"
    ),
    sectors=_sectors(
        "Logistics = Logistics | Software = Software | Engineering = Engineering"
        " | Foods = Food & drink | Consulting = Professional services | Print = Printing"
        " | Solar = Energy | Joinery = Construction"
    ),
    company_roots=_items(
        "Northgate | Pennine | Harbour | Riverside | Oakfield | Kestrel | Brightwater | Ashdown"
        " | Thameside | Greystone"
    ),
    company_patterns=_items(
        "{root} {sector} Ltd | {root} {sector} Ltd | {surname} & {surname2} Ltd"
        " | {root} {sector} Limited | {root} {sector} plc"
    ),
    personal_domains=_items("post.example | mail.example"),
)

WELSH = Locale(
    code="cy",
    country="GB",
    language="cy",
    weight=15,
    male=_items(
        "Dafydd | Rhys | Gruffudd | Owain | Iolo | Tomos | Aled | Emyr | Llŷr | Gwion | Ieuan"
        " | Hywel | Geraint | Cai"
    ),
    female=_items(
        "Gwenllian | Rhiannon | Cerys | Siân | Elin | Angharad | Bethan | Ffion | Nia | Heledd"
        " | Lowri | Manon | Eirlys | Mererid"
    ),
    surnames=_items(
        "Jones | Williams | Davies | Evans | Thomas | Roberts | Hughes | Lewis | Morgan | Griffiths"
        " | Pritchard | Llywelyn | Price | Parry | Vaughan | Pugh | Bowen | Lloyd"
    ),
    places=_places(
        "Caerdydd; Caerdydd; CF10 #@@ | Abertawe; Abertawe; SA1 #@@ | Bangor; Gwynedd; LL57 #@@"
        " | Aberystwyth; Ceredigion; SY23 #@@ | Caernarfon; Gwynedd; LL55 #@@"
        " | Wrecsam; Wrecsam; LL11 #@@ | Caerfyrddin; Sir Gaerfyrddin; SA31 #@@"
        " | Dolgellau; Gwynedd; LL40 #@@"
    ),
    streets=_items(
        "{n} Stryd Fawr | {n} Heol y Frenhines | {n} Ffordd y Traeth | {n} Lôn Las"
        " | Uned {n}, Parc Menai"
    ),
    job_titles=_pairs(
        "Rheolwr Gweithrediadau | Cyfarwyddwr | Pennaeth Caffael | Rheolwr Swyddfa"
        " | Managing Director"
    ),
    sectors=_sectors(
        "Llechi = Quarrying | Bwydydd = Food & drink | Adeiladwyr = Construction"
        " | Meddalwedd = Software | Ynni = Energy | Argraffwyr = Printing"
        " | Teithiau = Tourism | Gwlân = Textiles"
    ),
    company_roots=_items("Menai | Gwynedd | Môn | Teifi | Tawe | Dyfi | Eryri | Preseli | Clwyd"),
    company_patterns=_items(
        "{sector} {root} Cyf. | {sector} {root} Cyf. | {sector} {surname} Cyf. | {root} {sector} Ltd"
    ),
    personal_domains=_items("ebost.example | post.example"),
)

TURKISH = Locale(
    code="tr",
    country="TR",
    language="tr",
    weight=25,
    male=_items(
        "İbrahim | Ömer | Mehmet | Mustafa | Barış | Oğuz | Özgür | Çağrı | Uğur | Doğan | Şükrü"
        " | İlker | Tuğrul | Ilgaz | Emre"
    ),
    female=_items(
        "Ayşe | Işıl | Gülşen | Çağla | Şebnem | Hülya | Yağmur | İpek | Çiğdem | Tuğba | Ebru"
        " | Ilgın | Şule | Gökçe | Zeynep | Özlem"
    ),
    surnames=_items(
        "Yılmaz | Kaya | Demir | Şahin | Çelik | Yıldız | Yıldırım | Öztürk | Aydın | Özdemir"
        " | Arslan | Doğan | Kılıç | Aslan | Çetin | Koç | Kurt | Özkan | Şimşek | Güneş | Akgül"
        " | Erdem | Işık | Uysal"
    ),
    places=_places(
        "Kadıköy; İstanbul; 347## | Beşiktaş; İstanbul; 343## | Çankaya; Ankara; 066##"
        " | Konak; İzmir; 352## | Nilüfer; Bursa; 161## | Odunpazarı; Eskişehir; 260##"
        " | Ortahisar; Trabzon; 610##"
    ),
    streets=_items(
        "Atatürk Caddesi No: {n} | İstiklal Caddesi No: {n} | Gül Sokak No: {n}"
        " | Cumhuriyet Bulvarı No: {n} | Bağdat Caddesi No: {n}"
    ),
    job_titles=_pairs(
        "Satın Alma Müdürü | Genel Müdür | İnsan Kaynakları Müdürü | Bilgi İşlem Sorumlusu"
        " | Finans Direktörü | Kurucu Ortak"
    ),
    sectors=_sectors(
        "Tekstil = Textiles | Gıda = Food & drink | İnşaat = Construction"
        " | Yazılım = Software | Lojistik = Logistics | Enerji = Energy"
        " | Mobilya = Furniture | Otomotiv = Automotive"
    ),
    company_roots=_items(
        "Yıldız | Doğan | Anadolu | Ege | Karadeniz | Boğaziçi | Marmara | Çınar | Güneş | Kuzey"
    ),
    company_patterns=_items(
        "{root} {sector} A.Ş. | {root} {sector} A.Ş. | {surname} {sector} San. ve Tic. Ltd. Şti."
        " | {root} {sector} Ltd. Şti."
    ),
    personal_domains=_items("eposta.example | posta.example"),
)

SPANISH = Locale(
    code="es",
    country="ES",
    language="es",
    weight=25,
    male=_items(
        "José | Álvaro | Iñaki | Íñigo | Jesús | Ramón | Raúl | Sergio | Joaquín | Martín"
        " | Andrés | Óscar | Rubén | Xabier"
    ),
    female=_items(
        "María | Begoña | Nuria | Lucía | Sofía | Pilar | Inés | Mónica | Rocío | Ainhoa | Maite"
        " | Concepción | Leire | Itziar | Almudena"
    ),
    surnames=_items(
        "García | Fernández | González | Rodríguez | López | Martínez | Sánchez | Pérez | Gómez"
        " | Jiménez | Ruiz | Díaz | Muñoz | Núñez | Ibáñez | Peña | Castaño | Ordóñez | Zúñiga"
        " | Echeverría | Cañizares | Álvarez | Romero"
    ),
    places=_places(
        "Madrid; Comunidad de Madrid; 280## | Barcelona; Cataluña; 080##"
        " | Sevilla; Andalucía; 410## | Valencia; Comunidad Valenciana; 460##"
        " | Bilbao; País Vasco; 480## | A Coruña; Galicia; 150## | Logroño; La Rioja; 260##"
        " | Cádiz; Andalucía; 110## | Donostia-San Sebastián; País Vasco; 200##"
    ),
    streets=_items(
        "Calle Mayor, {n} | Avenida de la Constitución, {n} | Calle de Alcalá, {n}"
        " | Plaza de España, {n} | Calle Núñez de Balboa, {n} | Passeig de Gràcia, {n}"
    ),
    job_titles=_pairs(
        "Director de Compras / Directora de Compras | Gerente"
        " | Jefe de Operaciones / Jefa de Operaciones | Responsable de Sistemas"
        " | Director Financiero / Directora Financiera | Socio fundador / Socia fundadora"
    ),
    sectors=_sectors(
        "Construcciones = Construction | Logística = Logistics"
        " | Distribuciones = Wholesale | Transportes = Logistics | Informática = Software"
        " | Bodegas = Food & drink | Aceites = Food & drink | Muebles = Furniture"
    ),
    company_roots=_items(
        "del Norte | del Sur | Levante | Cantábrico | Ribera | Iberia | Mediterráneo"
    ),
    company_patterns=_items(
        "{sector} {surname} S.L. | {sector} {surname} S.L. | {sector} {root} S.L."
        " | {sector} {root} S.A."
    ),
    personal_domains=_items("correo.example | mail.example"),
)

LOCALES = (ENGLISH, WELSH, TURKISH, SPANISH)

# Leading digits of numbers people really have, per region; every generated
# number is still checked with phonenumbers.is_valid_number_for_region.
PHONE_PREFIXES: dict[str, dict[str, tuple[str, ...]]] = {
    "GB": {
        "mobile": _items("7400 | 7700 | 7911 | 7457 | 7512 | 7823 | 7958 | 7384"),
        "fixed": _items("2079 | 2038 | 1214 | 1132 | 1612 | 2920 | 1970 | 1248 | 1792"),
    },
    "TR": {
        "mobile": _items("501 | 505 | 530 | 532 | 533 | 535 | 542 | 544 | 552 | 555"),
        "fixed": _items("212 | 216 | 312 | 232 | 224 | 222 | 462"),
    },
    "ES": {
        "mobile": _items("600 | 612 | 619 | 627 | 635 | 644 | 655 | 666 | 679 | 688"),
        "fixed": _items("91 | 93 | 95 | 96 | 94 | 981 | 941 | 956 | 943"),
    },
}
_NATIONAL_LENGTH = {"GB": 10, "TR": 10, "ES": 9}


def demo_phone(rng: random.Random, region: str, kind: str = "mobile", *, check: bool = True) -> str:
    """A valid E.164 number in ``region`` (GB, TR or ES), random but checked.

    ``check=False``: a number with a valid prefix and length, not checked
    further (nine in ten pass the check; checking is most of the time it takes).
    """
    country_code = phonenumbers.country_code_for_region(region)
    for _attempt in range(20):
        prefix = rng.choice(PHONE_PREFIXES[region][kind])
        digits = "".join(rng.choices("0123456789", k=_NATIONAL_LENGTH[region] - len(prefix)))
        if not check:
            return f"+{country_code}{prefix}{digits}"
        number = phonenumbers.PhoneNumber(
            country_code=country_code, national_number=int(prefix + digits)
        )
        # is_valid_number would first work out the region, which we know.
        if phonenumbers.is_valid_number_for_region(number, region):
            return f"+{country_code}{number.national_number}"
    # Not reached with the prefixes above; the library's own example is always valid.
    number_type = (
        phonenumbers.PhoneNumberType.MOBILE
        if kind == "mobile"
        else phonenumbers.PhoneNumberType.FIXED_LINE
    )
    example = phonenumbers.example_number_for_type(region, number_type)
    assert example is not None
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


@functools.cache
def _ascii_word(text: str) -> str:
    """“Yıldız” → “yildiz”, “Ibáñez” → “ibanez”, “O'Neill” → “oneill”: safe for addresses."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


def _postcode(rng: random.Random, template: str) -> str:
    return "".join(
        rng.choice("0123456789")
        if ch == "#"
        else rng.choice("ABDEFGHJLNPQRSTUWXYZ")
        if ch == "@"
        else ch
        for ch in template
    )


@dataclass
class DemoCompany:
    """A company some leads work for; it gets a row when the first of them converts."""

    locale: Locale
    name: str
    domain: str
    phone: str
    industry: str
    employees: int
    city: str
    region: str
    postal_code: str
    street: str
    pk: int | None = None


@dataclass
class DemoPerson:
    locale: Locale
    first_name: str
    last_name: str
    female: bool
    email: str
    phone: str
    job_title: str
    company: DemoCompany | None
    street: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""


def _surname(rng: random.Random, locale: Locale, female: bool) -> str:
    if locale is SPANISH:
        # Two surnames, father's then mother's.
        first, second = rng.sample(locale.surnames, 2)
        return f"{first} {second}"
    if locale is WELSH and rng.random() < 0.25:
        # The old patronymics some Welsh families use again: "ap Rhys", "ab Owain", "ferch Hywel".
        father = rng.choice(("Rhys", "Gruffudd", "Owain", "Dafydd", "Hywel", "Ieuan", "Iorwerth"))
        if female:
            return f"ferch {father}"
        return f"{'ab' if father[0] in 'AEIOU' else 'ap'} {father}"
    return rng.choice(locale.surnames)


def demo_company(rng: random.Random, locale: Locale, *, check_phone: bool = True) -> DemoCompany:
    sector, industry = rng.choice(locale.sectors)
    name = rng.choice(locale.company_patterns).format(
        root=rng.choice(locale.company_roots),
        sector=sector,
        surname=rng.choice(locale.surnames),
        surname2=rng.choice(locale.surnames),
    )
    slug = re.sub(r"[^a-z0-9]+", "-", normalise_company_name(name)).strip("-")
    city, region, postcode = rng.choice(locale.places)
    return DemoCompany(
        locale=locale,
        name=name,
        domain=f"{slug}.example",
        phone=demo_phone(rng, locale.country, "fixed", check=check_phone),
        industry=industry,
        employees=max(2, int(rng.lognormvariate(3.2, 1.2))),
        city=city,
        region=region,
        postal_code=_postcode(rng, postcode),
        street=rng.choice(locale.streets).format(n=rng.randint(1, 180)),
    )


def demo_companies(
    rng: random.Random, locale: Locale, count: int, *, check_phones: bool = True
) -> list[DemoCompany]:
    """Up to ``count`` companies in ``locale``, no two with the same name."""
    companies: dict[str, DemoCompany] = {}
    for _attempt in range(count * 3):
        if len(companies) == count:
            break
        company = demo_company(rng, locale, check_phone=check_phones)
        companies.setdefault(normalise_company_name(company.name), company)
    return list(companies.values())


def demo_person(
    rng: random.Random, locale: Locale, company: DemoCompany | None, *, check_phone: bool = True
) -> DemoPerson:
    female = rng.random() < 0.5
    first = rng.choice(locale.female if female else locale.male)
    last = _surname(rng, locale, female)
    first_word, last_word = _ascii_word(first), _ascii_word(last)
    if company is not None:
        pattern = rng.random()
        local = (
            f"{first_word}.{last_word}"
            if pattern < 0.6
            else f"{first_word[0]}.{last_word}"
            if pattern < 0.85
            else first_word
        )
        domain = company.domain
    else:
        local = f"{first_word}.{last_word}{rng.randint(1, 99)}"
        domain = rng.choice(locale.personal_domains)
    has_email, has_phone = rng.random() < 0.88, rng.random() < 0.75
    person = DemoPerson(
        locale=locale,
        first_name=first,
        last_name=last,
        female=female,
        email=f"{local}@{domain}" if has_email or not has_phone else "",
        phone=demo_phone(
            rng, locale.country, "mobile" if rng.random() < 0.8 else "fixed", check=check_phone
        )
        if has_phone
        else "",
        job_title=rng.choice(locale.job_titles)[1 if female else 0] if company else "",
        company=company,
    )
    if rng.random() < 0.4:
        if company is not None:
            person.street, person.city = company.street, company.city
            person.postal_code, person.region = company.postal_code, company.region
        else:
            city, region, postcode = rng.choice(locale.places)
            person.street = rng.choice(locale.streets).format(n=rng.randint(1, 180))
            person.city, person.region = city, region
            person.postal_code = _postcode(rng, postcode)
    return person
