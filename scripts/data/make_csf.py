#!/usr/bin/env python3
"""Writes Sources/ConfianzaCore/Resources/Risk/csf-2.0.json: the NIST CSF 2.0 core (6 functions, 22 categories,
106 subcategories with NIST's identifiers), titles as short paraphrases in English, Spanish and French.
CSF 2.0 is a US-government work (public domain; NIST's OSCAL data is CC0). Identifiers follow NIST's list,
withdrawn 1.1 outcomes left out (ID.AM-06, PR.DS-03…09, DE.CM-04/05/07/08, …)."""
import json, os

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "ConfianzaCore", "Resources", "Risk", "csf-2.0.json")

FUNCTIONS = [
 ("GV", "Govern", "Gobernar", "Gouverner"), ("ID", "Identify", "Identificar", "Identifier"), ("PR", "Protect", "Proteger", "Protéger"),
 ("DE", "Detect", "Detectar", "Détecter"), ("RS", "Respond", "Responder", "Répondre"), ("RC", "Recover", "Recuperar", "Rétablir"),
]
# category: (title en, es, fr, [(number, en, es, fr)])
C = {
 "GV.OC": ("Organizational context", "Contexto de la organización", "Contexte de l'organisation", [
   (1, "Mission understood and guides risk decisions", "La misión se entiende y guía las decisiones de riesgo", "La mission est comprise et guide les décisions de risque"),
   (2, "Stakeholders' needs and expectations understood", "Se entienden las necesidades de las partes interesadas", "Les attentes des parties prenantes sont comprises"),
   (3, "Legal and regulatory requirements understood", "Se entienden los requisitos legales y regulatorios", "Les exigences légales et réglementaires sont comprises"),
   (4, "Critical objectives and services others rely on are known", "Se conocen los objetivos y servicios críticos de los que otros dependen", "Les objectifs et services critiques dont d'autres dépendent sont connus"),
   (5, "Dependencies on outcomes and services are known", "Se conocen las dependencias de resultados y servicios", "Les dépendances envers des résultats et services sont connues")]),
 "GV.RM": ("Risk management strategy", "Estrategia de gestión de riesgos", "Stratégie de gestion des risques", [
   (1, "Risk management objectives agreed", "Objetivos de gestión de riesgos acordados", "Objectifs de gestion des risques convenus"),
   (2, "Risk appetite and tolerance set", "Apetito y tolerancia al riesgo definidos", "Appétence et tolérance au risque définies"),
   (3, "Cyber risk part of enterprise risk management", "El riesgo cibernético forma parte de la gestión de riesgos corporativa", "Le cyberrisque fait partie de la gestion des risques de l'entreprise"),
   (4, "Strategic direction for risk responses set", "Dirección estratégica para las respuestas al riesgo definida", "Orientation stratégique des réponses aux risques définie"),
   (5, "Lines of communication on risk established", "Líneas de comunicación sobre el riesgo establecidas", "Circuits de communication sur les risques établis"),
   (6, "Standard method to calculate and prioritise risk", "Método estándar para calcular y priorizar el riesgo", "Méthode commune pour calculer et prioriser les risques"),
   (7, "Positive risks (opportunities) considered", "Se consideran los riesgos positivos (oportunidades)", "Les risques positifs (opportunités) sont pris en compte")]),
 "GV.RR": ("Roles, responsibilities and authorities", "Roles, responsabilidades y autoridades", "Rôles, responsabilités et autorités", [
   (1, "Leadership accountable for cyber risk", "La dirección rinde cuentas del riesgo cibernético", "La direction est responsable du cyberrisque"),
   (2, "Roles and responsibilities defined and known", "Roles y responsabilidades definidos y conocidos", "Rôles et responsabilités définis et connus"),
   (3, "Adequate resources allocated", "Recursos adecuados asignados", "Ressources adéquates allouées"),
   (4, "Cybersecurity included in human resources practices", "La ciberseguridad se incluye en las prácticas de recursos humanos", "La cybersécurité est intégrée aux pratiques RH")]),
 "GV.PO": ("Policy", "Política", "Politique", [
   (1, "Cybersecurity policy established and enforced", "Política de ciberseguridad establecida y aplicada", "Politique de cybersécurité établie et appliquée"),
   (2, "Policy reviewed and updated", "Política revisada y actualizada", "Politique revue et mise à jour")]),
 "GV.OV": ("Oversight", "Supervisión", "Supervision", [
   (1, "Strategy outcomes reviewed", "Se revisan los resultados de la estrategia", "Les résultats de la stratégie sont revus"),
   (2, "Strategy adjusted to cover requirements and risks", "La estrategia se ajusta a requisitos y riesgos", "La stratégie est ajustée aux exigences et risques"),
   (3, "Risk management performance evaluated", "Se evalúa el desempeño de la gestión de riesgos", "La performance de la gestion des risques est évaluée")]),
 "GV.SC": ("Supply chain risk management", "Gestión de riesgos de la cadena de suministro", "Gestion des risques de la chaîne d'approvisionnement", [
   (1, "Supply chain risk programme established", "Programa de riesgos de la cadena de suministro establecido", "Programme de risques fournisseurs établi"),
   (2, "Supplier-related roles defined", "Roles relativos a proveedores definidos", "Rôles liés aux fournisseurs définis"),
   (3, "Supply chain risk part of risk management", "El riesgo de suministro forma parte de la gestión de riesgos", "Le risque fournisseur fait partie de la gestion des risques"),
   (4, "Suppliers known and prioritised by criticality", "Proveedores conocidos y priorizados por criticidad", "Fournisseurs connus et classés par criticité"),
   (5, "Requirements for suppliers in contracts", "Requisitos para proveedores en los contratos", "Exigences envers les fournisseurs dans les contrats"),
   (6, "Due diligence before new supplier relationships", "Diligencia debida antes de contratar proveedores", "Diligence raisonnable avant toute relation fournisseur"),
   (7, "Supplier risks assessed and monitored", "Riesgos de proveedores evaluados y supervisados", "Risques fournisseurs évalués et suivis"),
   (8, "Suppliers included in incident planning and response", "Proveedores incluidos en la planificación y respuesta a incidentes", "Fournisseurs inclus dans la préparation et la réponse aux incidents"),
   (9, "Supply chain security across the product lifecycle", "Seguridad de suministro en todo el ciclo de vida", "Sécurité de la chaîne d'approvisionnement sur tout le cycle de vie"),
   (10, "Provisions for after a partnership ends", "Previsiones para el fin de la relación", "Dispositions pour la fin d'un partenariat")]),
 "ID.AM": ("Asset management", "Gestión de activos", "Gestion des actifs", [
   (1, "Hardware inventoried", "Inventario de hardware", "Inventaire du matériel"),
   (2, "Software, services and systems inventoried", "Inventario de software, servicios y sistemas", "Inventaire des logiciels, services et systèmes"),
   (3, "Network communications and data flows documented", "Comunicaciones de red y flujos de datos documentados", "Communications réseau et flux de données documentés"),
   (4, "Supplier services inventoried", "Servicios de proveedores inventariados", "Services des fournisseurs inventoriés"),
   (5, "Assets prioritised by criticality", "Activos priorizados por criticidad", "Actifs classés par criticité"),
   (7, "Data and metadata inventoried", "Datos y metadatos inventariados", "Données et métadonnées inventoriées"),
   (8, "Assets managed through their lifecycle", "Activos gestionados a lo largo de su ciclo de vida", "Actifs gérés sur tout leur cycle de vie")]),
 "ID.RA": ("Risk assessment", "Evaluación de riesgos", "Appréciation des risques", [
   (1, "Vulnerabilities identified and recorded", "Vulnerabilidades identificadas y registradas", "Vulnérabilités identifiées et enregistrées"),
   (2, "Threat intelligence received", "Se recibe inteligencia de amenazas", "Renseignement sur les menaces reçu"),
   (3, "Internal and external threats identified", "Amenazas internas y externas identificadas", "Menaces internes et externes identifiées"),
   (4, "Impacts and likelihoods identified", "Impactos y probabilidades identificados", "Impacts et vraisemblances identifiés"),
   (5, "Risk determined and prioritised", "Riesgo determinado y priorizado", "Risque déterminé et priorisé"),
   (6, "Risk responses chosen and tracked", "Respuestas al riesgo elegidas y seguidas", "Réponses aux risques choisies et suivies"),
   (7, "Changes and exceptions managed for risk", "Cambios y excepciones gestionados según el riesgo", "Changements et exceptions gérés selon le risque"),
   (8, "Vulnerability disclosures received and handled", "Divulgaciones de vulnerabilidades recibidas y tratadas", "Signalements de vulnérabilités reçus et traités"),
   (9, "Authenticity of hardware and software assessed", "Autenticidad de hardware y software evaluada", "Authenticité du matériel et des logiciels évaluée"),
   (10, "Critical suppliers assessed before acquisition", "Proveedores críticos evaluados antes de adquirir", "Fournisseurs critiques évalués avant acquisition")]),
 "ID.IM": ("Improvement", "Mejora", "Amélioration", [
   (1, "Improvements found from evaluations", "Mejoras detectadas en evaluaciones", "Améliorations issues des évaluations"),
   (2, "Improvements found from tests and exercises", "Mejoras detectadas en pruebas y ejercicios", "Améliorations issues des tests et exercices"),
   (3, "Improvements found from operations", "Mejoras detectadas en la operación", "Améliorations issues de l'exploitation"),
   (4, "Incident response plans established and improved", "Planes de respuesta establecidos y mejorados", "Plans de réponse établis et améliorés")]),
 "PR.AA": ("Identity management, authentication and access control", "Gestión de identidades, autenticación y control de acceso", "Gestion des identités, authentification et contrôle d'accès", [
   (1, "Identities and credentials managed", "Identidades y credenciales gestionadas", "Identités et identifiants gérés"),
   (2, "Identities proofed and bound to credentials", "Identidades verificadas y vinculadas a credenciales", "Identités vérifiées et liées aux identifiants"),
   (3, "Users, services and hardware authenticated", "Usuarios, servicios y hardware autenticados", "Utilisateurs, services et matériels authentifiés"),
   (4, "Identity assertions protected", "Aserciones de identidad protegidas", "Assertions d'identité protégées"),
   (5, "Least privilege and separation of duties", "Mínimo privilegio y separación de funciones", "Moindre privilège et séparation des tâches"),
   (6, "Physical access managed", "Acceso físico gestionado", "Accès physique géré")]),
 "PR.AT": ("Awareness and training", "Concienciación y formación", "Sensibilisation et formation", [
   (1, "Staff made aware and trained", "Personal concienciado y formado", "Personnel sensibilisé et formé"),
   (2, "Specialised roles trained", "Roles especializados formados", "Rôles spécialisés formés")]),
 "PR.DS": ("Data security", "Seguridad de los datos", "Sécurité des données", [
   (1, "Data at rest protected", "Datos en reposo protegidos", "Données au repos protégées"),
   (2, "Data in transit protected", "Datos en tránsito protegidos", "Données en transit protégées"),
   (10, "Data in use protected", "Datos en uso protegidos", "Données en cours d'utilisation protégées"),
   (11, "Backups made, protected, kept and tested", "Copias de seguridad hechas, protegidas, conservadas y probadas", "Sauvegardes faites, protégées, conservées et testées")]),
 "PR.PS": ("Platform security", "Seguridad de plataformas", "Sécurité des plateformes", [
   (1, "Configuration management practised", "Gestión de la configuración aplicada", "Gestion des configurations appliquée"),
   (2, "Software maintained, replaced and removed by risk", "Software mantenido, sustituido y retirado según el riesgo", "Logiciels maintenus, remplacés et retirés selon le risque"),
   (3, "Hardware maintained, replaced and removed by risk", "Hardware mantenido, sustituido y retirado según el riesgo", "Matériel maintenu, remplacé et retiré selon le risque"),
   (4, "Logs generated for monitoring", "Se generan registros para la supervisión", "Journaux produits pour la surveillance"),
   (5, "Unauthorised software prevented", "Se impide el software no autorizado", "Logiciels non autorisés empêchés"),
   (6, "Secure development practised", "Desarrollo seguro aplicado", "Développement sécurisé appliqué")]),
 "PR.IR": ("Technology infrastructure resilience", "Resiliencia de la infraestructura tecnológica", "Résilience de l'infrastructure technologique", [
   (1, "Networks protected from unauthorised access", "Redes protegidas del acceso no autorizado", "Réseaux protégés contre les accès non autorisés"),
   (2, "Technology protected from environmental threats", "Tecnología protegida de amenazas ambientales", "Technologies protégées des menaces environnementales"),
   (3, "Resilience mechanisms in normal and adverse situations", "Mecanismos de resiliencia en situaciones normales y adversas", "Mécanismes de résilience en situation normale et dégradée"),
   (4, "Adequate capacity maintained", "Capacidad adecuada mantenida", "Capacité suffisante maintenue")]),
 "DE.CM": ("Continuous monitoring", "Supervisión continua", "Surveillance continue", [
   (1, "Networks monitored", "Redes supervisadas", "Réseaux surveillés"),
   (2, "Physical environment monitored", "Entorno físico supervisado", "Environnement physique surveillé"),
   (3, "Personnel activity and technology use monitored", "Actividad del personal y uso de la tecnología supervisados", "Activité du personnel et usage des technologies surveillés"),
   (6, "External service providers monitored", "Proveedores de servicios externos supervisados", "Prestataires externes surveillés"),
   (9, "Hardware, software and data monitored", "Hardware, software y datos supervisados", "Matériel, logiciels et données surveillés")]),
 "DE.AE": ("Adverse event analysis", "Análisis de eventos adversos", "Analyse des événements indésirables", [
   (2, "Adverse events analysed", "Eventos adversos analizados", "Événements indésirables analysés"),
   (3, "Information correlated from several sources", "Información correlacionada de varias fuentes", "Informations corrélées de plusieurs sources"),
   (4, "Impact and scope of events estimated", "Impacto y alcance de los eventos estimados", "Impact et portée des événements estimés"),
   (6, "Event information shared with those who need it", "Información de eventos compartida con quien la necesita", "Informations sur les événements partagées avec qui en a besoin"),
   (7, "Threat intelligence brought into analysis", "Inteligencia de amenazas incorporada al análisis", "Renseignement sur les menaces intégré à l'analyse"),
   (8, "Incidents declared against defined criteria", "Incidentes declarados según criterios definidos", "Incidents déclarés selon des critères définis")]),
 "RS.MA": ("Incident management", "Gestión de incidentes", "Gestion des incidents", [
   (1, "Response plan executed with third parties", "Plan de respuesta ejecutado con terceros", "Plan de réponse exécuté avec les tiers"),
   (2, "Incident reports triaged and validated", "Informes de incidentes clasificados y validados", "Signalements d'incidents triés et validés"),
   (3, "Incidents categorised and prioritised", "Incidentes categorizados y priorizados", "Incidents catégorisés et priorisés"),
   (4, "Incidents escalated as needed", "Incidentes escalados cuando es necesario", "Incidents escaladés si nécessaire"),
   (5, "Criteria to start recovery applied", "Criterios para iniciar la recuperación aplicados", "Critères de lancement du rétablissement appliqués")]),
 "RS.AN": ("Incident analysis", "Análisis de incidentes", "Analyse des incidents", [
   (3, "Analysis finds what happened and the root cause", "El análisis establece lo ocurrido y la causa raíz", "L'analyse établit les faits et la cause première"),
   (6, "Investigation actions recorded and preserved", "Acciones de investigación registradas y preservadas", "Actions d'investigation enregistrées et préservées"),
   (7, "Incident data and metadata collected with integrity", "Datos de incidentes recogidos con integridad", "Données d'incident collectées avec intégrité"),
   (8, "Incident magnitude estimated and validated", "Magnitud del incidente estimada y validada", "Ampleur de l'incident estimée et validée")]),
 "RS.CO": ("Incident response reporting and communication", "Notificación y comunicación de la respuesta", "Signalement et communication de la réponse", [
   (2, "Stakeholders notified of incidents", "Partes interesadas notificadas de los incidentes", "Parties prenantes informées des incidents"),
   (3, "Information shared with designated stakeholders", "Información compartida con las partes designadas", "Informations partagées avec les parties désignées")]),
 "RS.MI": ("Incident mitigation", "Mitigación de incidentes", "Atténuation des incidents", [
   (1, "Incidents contained", "Incidentes contenidos", "Incidents confinés"),
   (2, "Incidents eradicated", "Incidentes erradicados", "Incidents éradiqués")]),
 "RC.RP": ("Incident recovery plan execution", "Ejecución del plan de recuperación", "Exécution du plan de rétablissement", [
   (1, "Recovery plan executed", "Plan de recuperación ejecutado", "Plan de rétablissement exécuté"),
   (2, "Recovery actions chosen, scoped and prioritised", "Acciones de recuperación elegidas, delimitadas y priorizadas", "Actions de rétablissement choisies, cadrées et priorisées"),
   (3, "Backups checked before restoring", "Copias verificadas antes de restaurar", "Sauvegardes vérifiées avant restauration"),
   (4, "Critical functions and risk considered in recovery", "Funciones críticas y riesgo considerados en la recuperación", "Fonctions critiques et risques pris en compte au rétablissement"),
   (5, "Integrity of restored assets verified", "Integridad de los activos restaurados verificada", "Intégrité des actifs restaurés vérifiée"),
   (6, "End of recovery declared and documented", "Fin de la recuperación declarado y documentado", "Fin du rétablissement déclarée et documentée")]),
 "RC.CO": ("Incident recovery communication", "Comunicación de la recuperación", "Communication du rétablissement", [
   (3, "Recovery progress communicated", "Avance de la recuperación comunicado", "Avancement du rétablissement communiqué"),
   (4, "Public updates shared through approved channels", "Actualizaciones públicas por canales aprobados", "Informations publiques diffusées par des canaux approuvés")]),
}

doc = {"id": "nist-csf", "version": "2.0", "source": "https://doi.org/10.6028/NIST.CSWP.29",
       "note": "Identifiers are NIST's; titles are short paraphrases (CSF 2.0 is in the public domain).",
       "functions": []}
for fid, en, es, fr in FUNCTIONS:
    function = {"id": fid, "title": {"en": en, "es": es, "fr": fr}, "categories": []}
    for cid, (cen, ces, cfr, subs) in C.items():
        if not cid.startswith(fid + "."):
            continue
        function["categories"].append({"id": cid, "title": {"en": cen, "es": ces, "fr": cfr},
            "subcategories": [{"id": f"{cid}-{n:02d}", "title": {"en": a, "es": b, "fr": c}} for n, a, b, c in subs]})
    doc["functions"].append(function)
with open(OUT, "w", encoding="utf-8") as f:
    json.dump(doc, f, ensure_ascii=False, indent=1)
    f.write("\n")
cats = sum(len(f["categories"]) for f in doc["functions"])
subs = sum(len(c["subcategories"]) for f in doc["functions"] for c in f["categories"])
print(len(doc["functions"]), "functions", cats, "categories", subs, "subcategories")
