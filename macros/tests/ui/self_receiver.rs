struct Counter(u32);

impl Counter {
    #[ferrite_plugin::function]
    fn get(&self) -> u32 {
        self.0
    }
}

fn main() {}
