use super::*;

fn fields() -> Fields<'static> {
    Fields {
        name: "cat",
        ext: "jpg",
        host: "images.example.org",
        index: Some((7, 250)),
        date: "2026-11-26",
        hash8: "1a2b3c4d",
        page_title: Some("Cats of Kyoto"),
    }
}

fn render(template: &str, f: &Fields<'_>) -> String {
    Template::parse(template).unwrap().render(f).to_string()
}

#[test]
fn every_field_fills_in() {
    let f = fields();
    assert_eq!(render("{name}.{ext}", &f), "cat.jpg");
    assert_eq!(
        render("{host}/{name}.{ext}", &f),
        "images.example.org/cat.jpg"
    );
    assert_eq!(render("{index}-{name}.{ext}", &f), "007-cat.jpg");
    assert_eq!(
        render("{date}/{hash8}.{ext}", &f),
        "2026-11-26/1a2b3c4d.jpg"
    );
    assert_eq!(
        render("{page_title}/{index}.{ext}", &f),
        "Cats of Kyoto/007.jpg"
    );
    assert_eq!(render("{{{name}}}.{ext}", &f), "{cat}.jpg");
}

#[test]
fn the_extension_is_added_when_the_template_leaves_it_out() {
    assert_eq!(
        render("{host}-{index}", &fields()),
        "images.example.org-007.jpg"
    );
}

#[test]
fn the_index_is_padded_to_the_batch_or_to_six_digits_when_unknown() {
    let mut f = fields();
    f.index = Some((3, 9));
    assert_eq!(render("{index}", &f), "3.jpg");
    f.index = Some((3, 10_000));
    assert_eq!(render("{index}", &f), "00003.jpg");
    f.index = Some((3, 0));
    assert_eq!(render("{index}", &f), "000003.jpg");
}

#[test]
fn hostile_values_and_literals_stay_inside_the_folder() {
    let mut f = fields();
    f.name = "../../etc/passwd";
    f.page_title = Some("../..");
    f.host = "..";
    let p = Template::parse("{page_title}/{host}/{name}.{ext}")
        .unwrap()
        .render(&f);
    for c in p.dirs.iter().chain([&p.file]) {
        assert!(
            !c.is_empty() && !c.starts_with('.') && !c.contains('/'),
            "{p:?}"
        );
    }
    assert_eq!(p.to_string(), "_/_.._etc_passwd.jpg");
    // Literal `..` and absolute paths in the template itself.
    let p = Template::parse("/../{name}/../x/./{name}.{ext}")
        .unwrap()
        .render(&fields());
    for c in p.dirs.iter().chain([&p.file]) {
        assert!(
            !c.is_empty() && !c.starts_with('.') && !c.contains('/'),
            "{p:?}"
        );
    }
    assert_eq!(p.to_string(), "cat/x/cat.jpg");
    // Device names and separators in values.
    f.name = "CON";
    f.page_title = Some("a/b\\c:d");
    assert_eq!(render("{page_title}/{name}.{ext}", &f), "a_b_c_d/_CON.jpg");
}

#[test]
fn long_values_are_capped_and_keep_the_extension() {
    let mut f = fields();
    let long = "写".repeat(400);
    f.name = &long;
    f.page_title = Some(&long);
    let p = Template::parse("{page_title}/{name}-{hash8}.{ext}")
        .unwrap()
        .render(&f);
    assert!(p.dirs[0].len() <= names::MAX_NAME_BYTES);
    assert!(p.file.len() <= names::MAX_NAME_BYTES && p.file.ends_with(".jpg"));
}

#[test]
fn a_missing_page_title_leaves_its_folder_out_and_the_name_stays() {
    let mut f = fields();
    f.page_title = None;
    assert_eq!(render("{page_title}/{name}.{ext}", &f), "cat.jpg");
    assert_eq!(render("{page_title}.{ext}", &f), "cat.jpg");
}

#[test]
fn bad_templates_say_what_is_wrong() {
    assert_eq!(
        Template::parse("{nmae}.{ext}"),
        Err(TemplateError::UnknownField("nmae".into()))
    );
    assert_eq!(Template::parse("{name"), Err(TemplateError::Unclosed));
    assert_eq!(Template::parse("name}"), Err(TemplateError::Unopened));
    assert_eq!(Template::parse("//"), Err(TemplateError::Empty));
    assert_eq!(
        Template::parse(&"a/".repeat(12)),
        Err(TemplateError::TooDeep)
    );
    let msg = TemplateError::UnknownField("nmae".into()).to_string();
    assert!(msg.starts_with("{nmae} is not a field"), "{msg}");
}

#[test]
fn templates_read_and_write_as_text() {
    let t: Template = serde_json::from_str("\"{host}/{name}.{ext}\"").unwrap();
    assert_eq!(t.as_str(), "{host}/{name}.{ext}");
    assert_eq!(
        serde_json::to_string(&t).unwrap(),
        "\"{host}/{name}.{ext}\""
    );
    assert!(serde_json::from_str::<Template>("\"{nope}\"").is_err());
    assert!(Template::default().is_default());
    assert!(t.uses("host") && !t.uses("hash8"));
}
