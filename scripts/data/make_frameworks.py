#!/usr/bin/env python3
"""Writes the two bundled assessment frameworks (Sources/ConfianzaCore/Resources/Assessment/*.json).

The wording is Confianza's own; the structure follows the GCI 2020 layout (20 indicators over the five
pillars, 20 points each) and the NCSI habit (fixed points, a point only with public evidence).
Run it after editing the texts below; the JSON files are what the program reads.
"""
import json, os

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "ConfianzaCore", "Resources", "Assessment")

def t(en, es, fr):
    return {"en": en, "es": es, "fr": fr}

PILLARS = [
    ("legal", t("Legal measures", "Medidas jurídicas", "Mesures juridiques")),
    ("technical", t("Technical measures", "Medidas técnicas", "Mesures techniques")),
    ("organizational", t("Organizational measures", "Medidas organizativas", "Mesures organisationnelles")),
    ("capacity-development", t("Capacity development", "Desarrollo de capacidades", "Développement des capacités")),
    ("cooperation", t("Cooperation", "Cooperación", "Coopération")),
]

# pillar -> [(indicator id, weight, title, [(question id, weight, type, evidence, text, explanation, elements)])]
Y, P, E = "yesno", "yesnopartial", "elements"
FIVE = {
 "legal": [
  ("L1", 0.55, t("Cybercrime legislation", "Legislación sobre ciberdelito", "Législation sur la cybercriminalité"), [
    ("L1.1", 0.5, E, "required", t("Which kinds of illegal online conduct does the law make an offence?", "¿Qué conductas ilícitas en línea tipifica la ley como delito?", "Quels comportements illicites en ligne la loi érige-t-elle en infraction ?"),
     t("Tick each conduct covered by a law in force.", "Marque cada conducta cubierta por una ley vigente.", "Cochez chaque comportement couvert par une loi en vigueur."),
     [("access", 1, t("Illegal access to systems and data", "Acceso ilícito a sistemas y datos", "Accès illicite aux systèmes et données")),
      ("interference", 1, t("Interference with data or systems", "Interferencia en datos o sistemas", "Atteinte aux données ou aux systèmes")),
      ("interception", 1, t("Illegal interception", "Interceptación ilícita", "Interception illicite")),
      ("fraud", 1, t("Computer-related fraud and forgery", "Fraude y falsificación informáticos", "Fraude et falsification informatiques")),
      ("abuse", 1, t("Online child sexual abuse material", "Material de abuso sexual infantil en línea", "Contenus pédopornographiques en ligne"))]),
    ("L1.2", 0.5, P, "required", t("Does procedural law give investigators powers for electronic evidence (preservation, search, seizure)?", "¿Otorga la ley procesal a los investigadores facultades sobre la prueba electrónica (conservación, registro, incautación)?", "La procédure pénale donne-t-elle aux enquêteurs des pouvoirs sur la preuve électronique (conservation, perquisition, saisie) ?"),
     t("Partial: a draft in an advanced stage, ready to be adopted.", "Parcial: un proyecto en fase avanzada, listo para su adopción.", "Partiel : un projet à un stade avancé, prêt à être adopté."), []),
  ]),
  ("L2", 0.45, t("Cybersecurity regulation", "Regulación de ciberseguridad", "Réglementation de la cybersécurité"), [
    ("L2.1", 0.4, P, "required", t("Is there a personal data protection law with an authority that enforces it?", "¿Existe una ley de protección de datos personales con una autoridad que la haga cumplir?", "Existe-t-il une loi de protection des données personnelles avec une autorité qui la fait appliquer ?"),
     t("Partial: the law exists but no authority enforces it yet.", "Parcial: la ley existe pero aún no hay autoridad que la aplique.", "Partiel : la loi existe mais aucune autorité ne l'applique encore."), []),
    ("L2.2", 0.3, Y, "required", t("Must operators of essential services report significant incidents to an authority?", "¿Deben los operadores de servicios esenciales notificar los incidentes significativos a una autoridad?", "Les opérateurs de services essentiels doivent-ils notifier les incidents importants à une autorité ?"), t("", "", ""), []),
    ("L2.3", 0.3, Y, "optional", t("Do regulations set security requirements or audits for critical infrastructure?", "¿Fija la regulación requisitos de seguridad o auditorías para la infraestructura crítica?", "La réglementation fixe-t-elle des exigences de sécurité ou des audits pour les infrastructures critiques ?"), t("", "", ""), []),
  ]),
 ],
 "technical": [
  ("T1", 0.4, t("National or government CIRT", "CIRT nacional o gubernamental", "CIRT national ou gouvernemental"), [
    ("T1.1", 0.5, Y, "required", t("Is there a national CIRT with a mandate written in law or policy?", "¿Existe un CIRT nacional con un mandato establecido en ley o política?", "Existe-t-il un CIRT national dont le mandat est inscrit dans une loi ou une politique ?"), t("", "", ""), []),
    ("T1.2", 0.5, E, "optional", t("Which services does the national CIRT offer?", "¿Qué servicios ofrece el CIRT nacional?", "Quels services le CIRT national offre-t-il ?"), t("", "", ""),
     [("handling", 2, t("Incident handling", "Gestión de incidentes", "Traitement des incidents")),
      ("alerts", 1, t("Alerts and warnings", "Alertas y avisos", "Alertes et avertissements")),
      ("exercises", 1, t("National exercises", "Ejercicios nacionales", "Exercices nationaux")),
      ("first", 1, t("Membership of FIRST or a regional CIRT forum", "Membresía en FIRST o en un foro regional de CIRT", "Adhésion à FIRST ou à un forum régional de CIRT"))]),
  ]),
  ("T2", 0.2, t("Sectoral CIRTs", "CIRT sectoriales", "CIRT sectoriels"), [
    ("T2.1", 1, P, "optional", t("Do critical sectors (finance, energy, health, telecommunications) have their own CIRTs?", "¿Tienen los sectores críticos (finanzas, energía, salud, telecomunicaciones) sus propios CIRT?", "Les secteurs critiques (finance, énergie, santé, télécommunications) ont-ils leurs propres CIRT ?"),
     t("Partial: some sectors only.", "Parcial: solo algunos sectores.", "Partiel : certains secteurs seulement."), []),
  ]),
  ("T3", 0.25, t("Standards implementation framework", "Marco de aplicación de normas", "Cadre de mise en œuvre des normes"), [
    ("T3.1", 0.6, Y, "optional", t("Must public bodies follow an adopted security standard or baseline?", "¿Deben los organismos públicos seguir una norma o base de seguridad adoptada?", "Les organismes publics doivent-ils suivre une norme ou un socle de sécurité adopté ?"), t("", "", ""), []),
    ("T3.2", 0.4, Y, "optional", t("Is there a scheme to certify or accredit security professionals or products?", "¿Existe un esquema para certificar o acreditar a profesionales o productos de seguridad?", "Existe-t-il un dispositif de certification ou d'accréditation des professionnels ou produits de sécurité ?"), t("", "", ""), []),
  ]),
  ("T4", 0.15, t("Child online protection", "Protección de la infancia en línea", "Protection des enfants en ligne"), [
    ("T4.1", 1, P, "optional", t("Can the public report harmful content involving children to a hotline or agency?", "¿Puede el público denunciar contenidos dañinos que afecten a menores ante una línea o agencia?", "Le public peut-il signaler des contenus préjudiciables impliquant des enfants à une ligne ou une agence ?"), t("", "", ""), []),
  ]),
 ],
 "organizational": [
  ("O1", 0.4, t("National cybersecurity strategy", "Estrategia nacional de ciberseguridad", "Stratégie nationale de cybersécurité"), [
    ("O1.1", 0.6, P, "required", t("Is a national cybersecurity strategy adopted and published?", "¿Se ha adoptado y publicado una estrategia nacional de ciberseguridad?", "Une stratégie nationale de cybersécurité est-elle adoptée et publiée ?"),
     t("Partial: a draft in an advanced stage.", "Parcial: un proyecto en fase avanzada.", "Partiel : un projet à un stade avancé."), []),
    ("O1.2", 0.4, Y, "optional", t("Does the strategy have an implementation plan with a budget?", "¿Tiene la estrategia un plan de ejecución con presupuesto?", "La stratégie a-t-elle un plan de mise en œuvre doté d'un budget ?"), t("", "", ""), []),
  ]),
  ("O2", 0.35, t("Responsible agency", "Organismo responsable", "Organisme responsable"), [
    ("O2.1", 1, Y, "required", t("Is one agency responsible for coordinating cybersecurity nationally?", "¿Hay un organismo responsable de coordinar la ciberseguridad a nivel nacional?", "Un organisme est-il chargé de coordonner la cybersécurité au niveau national ?"), t("", "", ""), []),
  ]),
  ("O3", 0.25, t("Cybersecurity metrics", "Métricas de ciberseguridad", "Indicateurs de cybersécurité"), [
    ("O3.1", 1, Y, "optional", t("Is national cybersecurity measured and reported at least once a year?", "¿Se mide la ciberseguridad nacional y se informa sobre ella al menos una vez al año?", "La cybersécurité nationale est-elle mesurée et rapportée au moins une fois par an ?"), t("", "", ""), []),
  ]),
 ],
 "capacity-development": [
  ("C1", 0.2, t("Public awareness campaigns", "Campañas de sensibilización", "Campagnes de sensibilisation"), [
    ("C1.1", 1, E, "optional", t("Which audiences did national awareness campaigns reach in the last two years?", "¿A qué públicos llegaron las campañas nacionales de sensibilización en los dos últimos años?", "Quels publics les campagnes nationales de sensibilisation ont-elles touchés ces deux dernières années ?"), t("", "", ""),
     [("citizens", 1, t("Citizens", "Ciudadanía", "Citoyens")), ("children", 1, t("Children and young people", "Niños y jóvenes", "Enfants et jeunes")),
      ("sme", 1, t("Small businesses", "Pequeñas empresas", "Petites entreprises")), ("government", 1, t("Public servants", "Funcionarios públicos", "Agents publics"))]),
  ]),
  ("C2", 0.2, t("Professional training", "Formación profesional", "Formation professionnelle"), [
    ("C2.1", 1, P, "optional", t("Are there national training programmes for cybersecurity professionals?", "¿Hay programas nacionales de formación para profesionales de la ciberseguridad?", "Existe-t-il des programmes nationaux de formation des professionnels de la cybersécurité ?"), t("", "", ""), []),
  ]),
  ("C3", 0.2, t("Education and curricula", "Educación y planes de estudio", "Éducation et cursus"), [
    ("C3.1", 0.5, Y, "optional", t("Is cybersecurity taught in primary or secondary schools?", "¿Se enseña ciberseguridad en la escuela primaria o secundaria?", "La cybersécurité est-elle enseignée à l'école primaire ou secondaire ?"), t("", "", ""), []),
    ("C3.2", 0.5, Y, "optional", t("Do universities offer degrees in cybersecurity?", "¿Ofrecen las universidades títulos en ciberseguridad?", "Les universités proposent-elles des diplômes en cybersécurité ?"), t("", "", ""), []),
  ]),
  ("C4", 0.15, t("Research and development", "Investigación y desarrollo", "Recherche et développement"), [
    ("C4.1", 1, Y, "optional", t("Are there publicly funded cybersecurity research programmes?", "¿Existen programas de investigación en ciberseguridad con fondos públicos?", "Existe-t-il des programmes de recherche en cybersécurité financés sur fonds publics ?"), t("", "", ""), []),
  ]),
  ("C5", 0.15, t("Domestic cybersecurity industry", "Industria nacional de ciberseguridad", "Industrie nationale de la cybersécurité"), [
    ("C5.1", 1, Y, "optional", t("Is there a domestic cybersecurity industry (providers, start-ups, an association)?", "¿Existe una industria nacional de ciberseguridad (proveedores, empresas emergentes, una asociación)?", "Existe-t-il une industrie nationale de la cybersécurité (prestataires, jeunes pousses, une association) ?"), t("", "", ""), []),
  ]),
  ("C6", 0.1, t("Incentive mechanisms", "Mecanismos de incentivo", "Mécanismes d'incitation"), [
    ("C6.1", 1, Y, "optional", t("Are there incentives (grants, tax relief, prizes) for cybersecurity capacity?", "¿Hay incentivos (subvenciones, beneficios fiscales, premios) para la capacidad en ciberseguridad?", "Existe-t-il des incitations (subventions, allègements fiscaux, prix) en faveur des capacités de cybersécurité ?"), t("", "", ""), []),
  ]),
 ],
 "cooperation": [
  ("K1", 0.25, t("Bilateral agreements", "Acuerdos bilaterales", "Accords bilatéraux"), [
    ("K1.1", 1, Y, "required", t("Has the country signed bilateral cybersecurity agreements with other countries?", "¿Ha firmado el país acuerdos bilaterales de ciberseguridad con otros países?", "Le pays a-t-il signé des accords bilatéraux de cybersécurité avec d'autres pays ?"), t("", "", ""), []),
  ]),
  ("K2", 0.25, t("Multilateral agreements", "Acuerdos multilaterales", "Accords multilatéraux"), [
    ("K2.1", 1, Y, "required", t("Is the country party to a multilateral cybersecurity or cybercrime agreement?", "¿Es el país parte de un acuerdo multilateral sobre ciberseguridad o ciberdelito?", "Le pays est-il partie à un accord multilatéral sur la cybersécurité ou la cybercriminalité ?"), t("", "", ""), []),
  ]),
  ("K3", 0.2, t("International participation", "Participación internacional", "Participation internationale"), [
    ("K3.1", 1, Y, "optional", t("Did the country take part in international cybersecurity fora or exercises last year?", "¿Participó el país en foros o ejercicios internacionales de ciberseguridad el año pasado?", "Le pays a-t-il participé l'an dernier à des forums ou exercices internationaux de cybersécurité ?"), t("", "", ""), []),
  ]),
  ("K4", 0.15, t("Public–private partnerships", "Alianzas público-privadas", "Partenariats public-privé"), [
    ("K4.1", 1, Y, "optional", t("Are there formal partnerships between government and industry on cybersecurity?", "¿Existen alianzas formales entre gobierno e industria en ciberseguridad?", "Existe-t-il des partenariats formels entre l'État et l'industrie en matière de cybersécurité ?"), t("", "", ""), []),
  ]),
  ("K5", 0.15, t("Inter-agency partnerships", "Alianzas entre organismos", "Partenariats interinstitutionnels"), [
    ("K5.1", 1, Y, "optional", t("Do government agencies share cybersecurity information under a formal arrangement?", "¿Comparten los organismos públicos información de ciberseguridad mediante un acuerdo formal?", "Les organismes publics partagent-ils des informations de cybersécurité dans un cadre formel ?"), t("", "", ""), []),
  ]),
 ],
}

def question(q):
    qid, w, typ, ev, text, expl, elements = q
    out = {"id": qid, "weight": w, "type": typ, "evidence": ev, "text": text}
    if any(expl.values()):
        out["explanation"] = expl
    if elements:
        out["elements"] = [{"id": e, "weight": ew, "title": et} for e, ew, et in elements]
    return out

five = {
    "id": "five-pillars", "edition": "2026",
    "title": t("Five pillars", "Cinco pilares", "Cinq piliers"),
    "description": t(
        "National capacity on the five pillars of the Global Cybersecurity Agenda, in the layout of the GCI 2020: 20 indicators, 20 points per pillar, 100 in all. Wording and weights are Confianza's own.",
        "Capacidad nacional en los cinco pilares de la Agenda sobre Ciberseguridad Global, con la estructura del GCI 2020: 20 indicadores, 20 puntos por pilar, 100 en total. La redacción y los pesos son propios de Confianza.",
        "Capacités nationales sur les cinq piliers du Programme mondial cybersécurité, selon la structure du GCI 2020 : 20 indicateurs, 20 points par pilier, 100 au total. Formulation et pondérations propres à Confianza."),
    "partialValue": 0.5,
    "pillars": [{"id": pid, "max": 20, "title": title, "indicators": [
        {"id": iid, "weight": w, "title": it, "questions": [question(q) for q in qs]} for iid, w, it, qs in FIVE[pid]]} for pid, title in PILLARS],
    "tiers": [
        {"id": "tier-1", "title": t("Tier 1 – Role-modelling", "Nivel 1 – Ejemplar", "Niveau 1 – Exemplaire"), "min": 95},
        {"id": "tier-2", "title": t("Tier 2 – Advancing", "Nivel 2 – En progreso", "Niveau 2 – En progression"), "min": 85},
        {"id": "tier-3", "title": t("Tier 3 – Establishing", "Nivel 3 – En consolidación", "Niveau 3 – En consolidation"), "min": 55},
        {"id": "tier-4", "title": t("Tier 4 – Evolving", "Nivel 4 – En evolución", "Niveau 4 – En évolution"), "min": 20},
        {"id": "tier-5", "title": t("Tier 5 – Building", "Nivel 5 – En construcción", "Niveau 5 – En construction"), "min": 0},
    ],
}

# Evidence index: fixed points per indicator, one criterion each, a point only with a public link.
EVIDENCE = {
 "legal": [("E.L1", 3, t("Cybercrime is an offence in law", "El ciberdelito es delito por ley", "La cybercriminalité est une infraction légale")),
           ("E.L2", 2, t("A data protection authority exists", "Existe una autoridad de protección de datos", "Une autorité de protection des données existe")),
           ("E.L3", 2, t("Incident reporting is an obligation", "La notificación de incidentes es obligatoria", "La notification des incidents est obligatoire"))],
 "technical": [("E.T1", 3, t("A national CIRT publishes its contacts", "Un CIRT nacional publica sus contactos", "Un CIRT national publie ses coordonnées")),
               ("E.T2", 2, t("A public-sector security baseline is published", "Se publica una base de seguridad para el sector público", "Un socle de sécurité du secteur public est publié")),
               ("E.T3", 1, t("A cyber safety website for the public exists", "Existe un sitio web de ciberseguridad para el público", "Un site de cybersécurité destiné au public existe"))],
 "organizational": [("E.O1", 3, t("The national strategy is published", "La estrategia nacional está publicada", "La stratégie nationale est publiée")),
                    ("E.O2", 2, t("A lead agency is named in law", "Un organismo rector figura en la ley", "Un organisme chef de file est désigné par la loi")),
                    ("E.O3", 1, t("An annual public threat report is published", "Se publica un informe anual de amenazas", "Un rapport annuel public sur les menaces est publié"))],
 "capacity-development": [("E.C1", 2, t("Cybersecurity is in school curricula", "La ciberseguridad está en los planes escolares", "La cybersécurité figure dans les programmes scolaires")),
                          ("E.C2", 2, t("A university cybersecurity degree exists", "Existe un título universitario en ciberseguridad", "Un diplôme universitaire en cybersécurité existe")),
                          ("E.C3", 1, t("A professional association exists", "Existe una asociación profesional", "Une association professionnelle existe"))],
 "cooperation": [("E.K1", 3, t("The Convention on Cybercrime or a regional equivalent is ratified", "Se ha ratificado el Convenio sobre la Ciberdelincuencia o un equivalente regional", "La Convention sur la cybercriminalité ou un équivalent régional est ratifiée")),
                 ("E.K2", 2, t("A 24/7 contact point for cybercrime exists", "Existe un punto de contacto 24/7 para el ciberdelito", "Un point de contact 24/7 pour la cybercriminalité existe")),
                 ("E.K3", 1, t("The country takes part in international exercises", "El país participa en ejercicios internacionales", "Le pays participe à des exercices internationaux"))],
}
evidence = {
    "id": "evidence-index", "edition": "2026",
    "title": t("Public evidence index", "Índice de evidencia pública", "Indice de preuves publiques"),
    "description": t(
        "Fixed points per indicator, counted only with a public evidence link (the NCSI habit). The total is the points obtained; the maximum is 30.",
        "Puntos fijos por indicador, contados solo con un enlace de evidencia pública (la práctica del NCSI). El total son los puntos obtenidos; el máximo es 30.",
        "Des points fixes par indicateur, comptés seulement avec un lien de preuve public (la pratique du NCSI). Le total est la somme des points obtenus ; le maximum est 30."),
    "evidenceRule": "public-link",
    "pillars": [{"id": pid, "max": sum(p for _, p, _ in EVIDENCE[pid]), "title": title, "indicators": [
        {"id": iid, "weight": pts, "title": it, "questions": [{"id": iid + ".1", "type": "yesno", "evidence": "required", "text": it,
          "explanation": t("Accepted references: a law, an official document or an official website.", "Referencias aceptadas: una ley, un documento oficial o un sitio web oficial.", "Références acceptées : une loi, un document officiel ou un site officiel.")}]}
        for iid, pts, it in EVIDENCE[pid]]} for pid, title in PILLARS],
    "tiers": [],
}

for name, doc in [("five-pillars", five), ("evidence-index", evidence)]:
    with open(os.path.join(OUT, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    n = sum(len(i["questions"]) for p in doc["pillars"] for i in p["indicators"])
    print(name, sum(len(p["indicators"]) for p in doc["pillars"]), "indicators", n, "questions")
